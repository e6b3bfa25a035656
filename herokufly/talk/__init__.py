"""The only modules that touch a service, a process or the disk: Heroku, Fly (flyctl), GitHub, and the user's repository."""

Acme.Repo.insert!(%{__struct__: Acme.Order, reference: "seed-1", amount_cents: 1000})

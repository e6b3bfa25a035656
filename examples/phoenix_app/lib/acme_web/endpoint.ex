defmodule AcmeWeb.Endpoint do
  use Phoenix.Endpoint, otp_app: :acme

  plug Plug.Static, at: "/", from: :acme, gzip: false, only: AcmeWeb.static_paths()
  plug Plug.RequestId
  plug Plug.Parsers, parsers: [:urlencoded, :multipart, :json], json_decoder: Phoenix.json_library()
  plug AcmeWeb.Router
end

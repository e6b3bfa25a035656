defmodule Acme.Repo.Migrations.CreateOrders do
  use Ecto.Migration

  def change do
    create table(:orders) do
      add :reference, :string, null: false
      add :amount_cents, :integer, null: false
      timestamps(type: :utc_datetime)
    end

    create unique_index(:orders, [:reference])
  end
end

"""The database: engines and replicas, models, migrations, write transactions, the dev cluster."""

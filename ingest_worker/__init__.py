"""The FastStream RabbitMQ ingestion worker: messages in, service calls out."""

"""1:1 conversations between people and official accounts: what people send, read state and realtime notices."""

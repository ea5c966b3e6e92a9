"""One runner per shop and job across every process and machine: a worker builds a shop's
index or trains its model only while it leads that (job, shop) pair, so that N workers do
the work once. PostgreSQL: advisory locks, released by the server when the holder's
connection drops (a killed process included). SQLite, one machine: ``flock`` on a file in
the data folder, released by the kernel when the holder dies."""

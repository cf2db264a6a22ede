// Workload W of the benchmark: migration v creates table bench_t_<v> and
// inserts one row, and its down drops that table. <v> is the version as
// exactly ten digits, so a migration's text has the same length for every
// version: gen.py patches the template plugin's ten-letter LM_BENCH_TOKEN
// into those digits. floor.cc and gen.py (bundle source, peers) write the
// same SQL text; keep the three in step.
#ifndef LM_BENCH_WORKLOAD_H
#define LM_BENCH_WORKLOAD_H

/* The placeholder the template plugin carries wherever a version's digits go
 * (its name, its SQL); gen.py replaces every occurrence. */
#define LM_BENCH_TOKEN "QZXQZXQZXQ"
/* The template's version, replaced the same way (8 little-endian bytes); any
 * positive value this unlikely to occur in code by chance. Bytes: "1HCNEBML". */
#define LM_BENCH_TEMPLATE_VERSION 0x4C4D42454E434831LL

#define LM_BENCH_UP_SQL(digits)                     \
  "CREATE TABLE bench_t_" digits                    \
  " (id INTEGER PRIMARY KEY, note TEXT NOT NULL); " \
  "INSERT INTO bench_t_" digits " (note) VALUES ('bench_" digits "')"
#define LM_BENCH_DOWN_SQL(digits) "DROP TABLE bench_t_" digits

#endif /* LM_BENCH_WORKLOAD_H */

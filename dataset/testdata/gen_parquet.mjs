// Writes the veRL-style parquet fixtures with DuckDB (an independent Parquet
// writer), in the column layouts ReSearch and Search-R1 datasets use.
// Usage: npm install @duckdb/node-api@1.5.6-r.1 && node gen_parquet.mjs
import { DuckDBInstance } from '@duckdb/node-api';

const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();

// ReSearch (data/prepare_musique.py): ground_truth is a list of strings.
await con.run(`COPY (
  SELECT * FROM (VALUES
    ('musique', 'Who founded the company that made Sunman?', 'qa',
      {'style': 'rule', 'ground_truth': ['Hiroshi Yamauchi', 'Yamauchi']}, {'id': '2hop__1', 'index': 0}),
    ('musique', 'In which city was Teutberga''s husband born?', 'qa',
      {'style': 'rule', 'ground_truth': ['Lotharingia']}, {'id': '2hop__2', 'index': 1})
  ) AS t(data_source, question, ability, reward_model, extra_info)
) TO 'verl_research.parquet' (FORMAT parquet)`);

// ReSearch variant: one ground-truth string holding aliases.
await con.run(`COPY (
  SELECT * FROM (VALUES
    ('hotpotqa', 'Which was founded first, A or B?', {'style': 'rule', 'ground_truth': 'A<|answer_split|>Company A'})
  ) AS t(data_source, question, reward_model)
) TO 'verl_answer_split.parquet' (FORMAT parquet)`);

// Search-R1 (scripts/data_process/nq_search.py): a chat prompt and
// ground_truth = {"target": [...]}, with no question column.
await con.run(`COPY (
  SELECT * FROM (VALUES
    ('nq', [{'role': 'user', 'content': 'who got the first nobel prize in physics'}], 'fact-reasoning',
      {'style': 'rule', 'ground_truth': {'target': ['Wilhelm Conrad Röntgen']}}, {'split': 'test', 'index': 7})
  ) AS t(data_source, prompt, ability, reward_model, extra_info)
) TO 'verl_searchr1.parquet' (FORMAT parquet)`);

package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"research/world"
)

func init() { rootCmd.AddCommand(newWorldCmd()) }

func newWorldCmd() *cobra.Command {
	cfg := world.DefaultConfig
	var out string
	cmd := &cobra.Command{
		Use:   "world --out DIR [--seed S]",
		Short: "Generate a synthetic multi-hop world: corpus, questions and entity graph",
		Long: `world generates a synthetic world for experiments that fit a CPU: countries,
cities, people, films and companies with pronounceable random names, their
attributes and relations, one short passage per entity with distractor facts
and near-duplicate names, and multi-hop questions (2-hop bridge, 3-hop chain,
comparison, yes/no) with gold answers and decompositions.

Three disjoint worlds are drawn: train, and the held-out dev and test worlds,
whose entities and name words never appear in the train world. Questions of a
split come from its own world; all passages go into one corpus, so retrieval
must find the right world's entity among near-duplicates.

DIR receives corpus.jsonl (FlashRAG {"id","contents"}), train.jsonl,
dev.jsonl, test.jsonl (FlashRAG {"id","question","golden_answers"} plus
type, template, hops, decomposition, supporting) and world.json (the entity
graph, format-versioned). Files are replaced atomically. The same flags give
byte-identical files. A Markdown summary is printed to standard output.`,
		Example: `  research world --seed 7 --out data/world
  research world --seed 7 --out small --entities 100 --held-out 60 --train 200 --dev 50 --test 50`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("world: --out is required")
			}
			g, err := world.Generate(cfg)
			if err != nil {
				return err
			}
			if err := g.WriteDir(out); err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), g.Summary())
			fmt.Fprintf(cmd.OutOrStdout(), "\nWrote %s, %s, %s, %s, %s under %s.\n", world.CorpusFile,
				world.QuestionFile(world.Train), world.QuestionFile(world.Dev), world.QuestionFile(world.Test), world.GraphFile, out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "directory to write the world into (created if needed)")
	f.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed; the same seed and sizes give byte-identical files")
	f.IntVar(&cfg.Entities, "entities", cfg.Entities, "entities in the train world")
	f.IntVar(&cfg.HeldOut, "held-out", cfg.HeldOut, "entities in each held-out world (dev, test)")
	f.IntVar(&cfg.TrainQuestions, "train", cfg.TrainQuestions, "training questions")
	f.IntVar(&cfg.DevQuestions, "dev", cfg.DevQuestions, "dev questions (held-out dev world)")
	f.IntVar(&cfg.TestQuestions, "test", cfg.TestQuestions, "test questions (held-out test world)")
	f.Float64Var(&cfg.NearDuplicates, "near-duplicates", cfg.NearDuplicates, "chance that a name is one vowel away from an earlier name")
	return cmd
}

package world

import (
	"fmt"
	"strings"
)

// Summary describes a generation in a few Markdown tables: entities per
// type and world, questions per type and split, and the size of the
// corpus's text.
func (g *Generation) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# World, seed %d\n\n", g.Config.Seed)

	b.WriteString("| world |")
	for _, t := range Types {
		fmt.Fprintf(&b, " %s |", t)
	}
	b.WriteString(" total |\n|---|" + strings.Repeat("---:|", len(Types)+1) + "\n")
	for _, w := range g.Worlds {
		fmt.Fprintf(&b, "| %s |", w.Split)
		for _, t := range Types {
			fmt.Fprintf(&b, " %d |", len(w.OfType(t)))
		}
		fmt.Fprintf(&b, " %d |\n", len(w.Entities))
	}

	b.WriteString("\n| split |")
	for _, t := range QuestionTypes {
		fmt.Fprintf(&b, " %s |", t)
	}
	b.WriteString(" total | yes / no |\n|---|" + strings.Repeat("---:|", len(QuestionTypes)+2) + "\n")
	for _, split := range Splits {
		qs := g.Questions[split]
		count := map[QuestionType]int{}
		yes := 0
		for _, q := range qs {
			count[q.Type]++
			if q.Answers[0] == "yes" {
				yes++
			}
		}
		fmt.Fprintf(&b, "| %s |", split)
		for _, t := range QuestionTypes {
			fmt.Fprintf(&b, " %d |", count[t])
		}
		fmt.Fprintf(&b, " %d | %d / %d |\n", len(qs), yes, count[YesNo]-yes)
	}

	corpus := g.Corpus()
	vocab := map[string]bool{}
	total, shortest, longest := 0, -1, 0
	for _, p := range corpus {
		n := len(strings.Fields(p.Text))
		total += n
		if shortest < 0 || n < shortest {
			shortest = n
		}
		longest = max(longest, n)
		for _, w := range words(p.Contents()) {
			vocab[w] = true
		}
	}
	fmt.Fprintf(&b, "\n%d passages, %d to %d words (mean %.1f), %d distinct words; %d pretraining documents (train world only).\n",
		len(corpus), shortest, longest, float64(total)/float64(max(1, len(corpus))), len(vocab), len(g.World(Train).Entities))
	return b.String()
}

package world

import (
	"math/rand/v2"
	"strings"
)

// Names are built from consonant-vowel syllables so that they are easy to
// pronounce and split into a few recurring pieces, which a small BPE
// vocabulary learns quickly. Codas are limited to n, r, l and m, and no
// syllable ends in s, y or e, so that Porter stemming (used by the BM25
// index) never folds two different names onto one term.
var (
	onsets = []string{"b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr", "kr", "tr", "st", "sh"}
	vowels = []string{"a", "e", "i", "o", "u"}
	codas  = []string{"", "", "", "", "n", "r", "l", "m"}
	// finals are the vowels a name may end on (see above for why not e).
	finals = []string{"a", "i", "o", "u"}
)

// nameBook hands out names that are unique across every world of a
// generation: no word of one entity's name is a word of another's, so a
// held-out entity can never be mentioned, even partly, by a training passage.
// Some names are deliberate near-duplicates of earlier ones (one vowel
// changed, "Varenko" and "Varenka"), so that search must read carefully.
type nameBook struct {
	rng     *rand.Rand
	nearDup float64
	used    map[string]bool // lower-case words taken, including template words
	byType  map[Type][]string
}

func newNameBook(rng *rand.Rand, nearDup float64) *nameBook {
	b := &nameBook{rng: rng, nearDup: nearDup, used: map[string]bool{}, byType: map[Type][]string{}}
	for _, w := range templateWords() {
		b.used[w] = true
	}
	return b
}

// word returns a fresh capitalised word for an entity of type t: a
// near-duplicate of an earlier word of the same type with probability
// nearDup, else a new random one.
func (b *nameBook) word(t Type) string {
	for {
		var w string
		if prev := b.byType[t]; len(prev) > 0 && b.rng.Float64() < b.nearDup {
			w = mutateVowel(b.rng, prev[b.rng.IntN(len(prev))])
		} else {
			w = b.randomWord()
		}
		if len(w) < 4 || b.used[strings.ToLower(w)] {
			continue
		}
		b.used[strings.ToLower(w)] = true
		b.byType[t] = append(b.byType[t], w)
		return w
	}
}

// randomWord builds a word of two or three syllables.
func (b *nameBook) randomWord() string {
	n := 2 + b.rng.IntN(2)
	var sb strings.Builder
	for i := range n {
		sb.WriteString(pick(b.rng, onsets))
		if i == n-1 {
			sb.WriteString(pick(b.rng, finals))
			break
		}
		sb.WriteString(pick(b.rng, vowels))
		sb.WriteString(pick(b.rng, codas))
	}
	w := sb.String()
	return strings.ToUpper(w[:1]) + w[1:]
}

// mutateVowel changes one vowel of w to another; the last letter stays out
// of e for the stemming reason given above.
func mutateVowel(rng *rand.Rand, w string) string {
	var at []int
	for i := range len(w) {
		if strings.ContainsRune("aeiou", rune(w[i])) {
			at = append(at, i)
		}
	}
	if len(at) == 0 {
		return w
	}
	i := at[rng.IntN(len(at))]
	choices := vowels
	if i == len(w)-1 {
		choices = finals
	}
	for {
		v := pick(rng, choices)
		if v[0] != w[i] {
			return w[:i] + v + w[i+1:]
		}
	}
}

func pick(rng *rand.Rand, list []string) string { return list[rng.IntN(len(list))] }

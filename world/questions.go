package world

import (
	"fmt"
	"math/rand/v2"
	"strconv"
)

// QuestionType is the shape of a question, as the multi-hop benchmarks
// name them.
type QuestionType string

// The question types.
const (
	Bridge     QuestionType = "bridge"     // 2 hops: "Where was the director of X born?"
	Chain      QuestionType = "chain"      // 3 hops: "In which country was the director of X born?"
	Comparison QuestionType = "comparison" // "Which film came out first, A or B?"
	YesNo      QuestionType = "yesno"      // "Were A and B born in the same country?"
)

// QuestionTypes lists the types in the order of Mix.
var QuestionTypes = []QuestionType{Bridge, Chain, Comparison, YesNo}

// Mix is the share of each question type in a split, in QuestionTypes order.
var Mix = []float64{0.35, 0.30, 0.15, 0.20}

// Question is one question with its gold answers and how to answer it. It
// is written as a FlashRAG dataset row: id, question and golden_answers
// are the fields every reader knows; the rest are extra.
type Question struct {
	ID       string       `json:"id"`
	Question string       `json:"question"`
	Answers  []string     `json:"golden_answers"`
	Type     QuestionType `json:"type"`
	Template string       `json:"template"`
	// Subjects names the two entities a comparison or yes/no question
	// asks about, in the question's order; the steps of the first come
	// first in Decomposition, then as many of the second.
	Subjects []string `json:"subjects,omitempty"`
	// Hops is the number of single-fact look-ups, len(Decomposition).
	Hops          int    `json:"hops"`
	Decomposition []Step `json:"decomposition"`
	// Supporting lists the passages the steps read, each once, in order.
	Supporting []string `json:"supporting"`
}

// Step is one single-fact sub-question, its answer as the passage writes it
// and the passage that states it.
type Step struct {
	Question   string   `json:"question"`
	Answer     string   `json:"answer"`
	Supporting []string `json:"supporting"`
}

// A hop reads one fact from the passage of an entity: either a relation to
// another entity (to) or a value (value).
type hop struct {
	ask   string // the sub-question, %s the entity's name
	to    func(*Entity) string
	value func(*Entity) int
	// format writes a value as passages do.
	format func(int) string
}

var (
	director     = hop{ask: "Who directed %s?", to: func(e *Entity) string { return e.Director }}
	producer     = hop{ask: "Which company produced %s?", to: func(e *Entity) string { return e.Producer }}
	founder      = hop{ask: "Who founded %s?", to: func(e *Entity) string { return e.Founder }}
	headquarters = hop{ask: "Where is %s headquartered?", to: func(e *Entity) string { return e.Headquarters }}
	bornIn       = hop{ask: "Where was %s born?", to: func(e *Entity) string { return e.BornIn }}
	inCountry    = hop{ask: "In which country is %s?", to: func(e *Entity) string { return e.Country }}
	capital      = hop{ask: "What is the capital of %s?", to: func(e *Entity) string { return e.Capital }}
	birthYear    = hop{ask: "When was %s born?", value: year, format: strconv.Itoa}
	released     = hop{ask: "When was %s released?", value: year, format: strconv.Itoa}
	foundedYear  = hop{ask: "When was %s founded?", value: year, format: strconv.Itoa}
	population   = hop{ask: "What is the population of %s?", value: func(e *Entity) int { return e.Population }, format: thousands}
)

func year(e *Entity) int { return e.Year }

// A template asks about a subject entity (two, for comparison and yes/no)
// by following hops from it.
type template struct {
	name    string
	typ     QuestionType
	format  string // %s the subject's name (two %s for two subjects)
	subject Type
	hops    []hop
	// earlier: a comparison's answer is the subject with the smaller value.
	earlier bool
}

var templates = []template{
	{name: "director-birthplace", typ: Bridge, format: "Where was the director of %s born?", subject: Film, hops: []hop{director, bornIn}},
	{name: "director-birthyear", typ: Bridge, format: "When was the director of %s born?", subject: Film, hops: []hop{director, birthYear}},
	{name: "producer-founder", typ: Bridge, format: "Who founded the company that produced %s?", subject: Film, hops: []hop{producer, founder}},
	{name: "producer-headquarters", typ: Bridge, format: "Where is the company that produced %s headquartered?", subject: Film, hops: []hop{producer, headquarters}},
	{name: "birth-country", typ: Bridge, format: "In which country was %s born?", subject: Person, hops: []hop{bornIn, inCountry}},
	{name: "headquarters-country", typ: Bridge, format: "In which country is %s headquartered?", subject: Company, hops: []hop{headquarters, inCountry}},
	{name: "founder-birthplace", typ: Bridge, format: "Where was the founder of %s born?", subject: Company, hops: []hop{founder, bornIn}},

	{name: "director-birth-country", typ: Chain, format: "In which country was the director of %s born?", subject: Film, hops: []hop{director, bornIn, inCountry}},
	{name: "producer-founder-birthplace", typ: Chain, format: "Where was the founder of the company that produced %s born?", subject: Film, hops: []hop{producer, founder, bornIn}},
	{name: "producer-headquarters-country", typ: Chain, format: "In which country is the company that produced %s headquartered?", subject: Film, hops: []hop{producer, headquarters, inCountry}},
	{name: "producer-founder-birthyear", typ: Chain, format: "When was the founder of the company that produced %s born?", subject: Film, hops: []hop{producer, founder, birthYear}},
	{name: "birth-country-capital", typ: Chain, format: "What is the capital of the country where %s was born?", subject: Person, hops: []hop{bornIn, inCountry, capital}},
	{name: "founder-birth-country", typ: Chain, format: "In which country was the founder of %s born?", subject: Company, hops: []hop{founder, bornIn, inCountry}},

	{name: "film-release", typ: Comparison, format: "Which film came out first, %s or %s?", subject: Film, hops: []hop{released}, earlier: true},
	{name: "company-founding", typ: Comparison, format: "Which company was founded first, %s or %s?", subject: Company, hops: []hop{foundedYear}, earlier: true},
	{name: "person-birth", typ: Comparison, format: "Who was born first, %s or %s?", subject: Person, hops: []hop{birthYear}, earlier: true},
	{name: "city-population", typ: Comparison, format: "Which city has a larger population, %s or %s?", subject: City, hops: []hop{population}},

	{name: "same-birth-country", typ: YesNo, format: "Were %s and %s born in the same country?", subject: Person, hops: []hop{bornIn, inCountry}},
	{name: "same-country", typ: YesNo, format: "Are %s and %s in the same country?", subject: City, hops: []hop{inCountry}},
	{name: "same-director", typ: YesNo, format: "Were %s and %s directed by the same person?", subject: Film, hops: []hop{director}},
	{name: "same-headquarters-country", typ: YesNo, format: "Are %s and %s headquartered in the same country?", subject: Company, hops: []hop{headquarters, inCountry}},
}

// walk follows t's hops from e and returns the steps, the entity reached
// (nil when the last hop reads a value) and the value read, if any.
func (w *World) walk(t template, e *Entity) (steps []Step, end *Entity, value int) {
	for _, h := range t.hops {
		step := Step{Question: fmt.Sprintf(h.ask, e.Name), Supporting: []string{e.ID}}
		if h.value != nil {
			value = h.value(e)
			step.Answer = h.format(value)
			return append(steps, step), nil, value
		}
		e = w.Get(h.to(e))
		step.Answer = e.Name
		steps = append(steps, step)
	}
	return steps, e, 0
}

// ask draws one question of template t, or false when the draw does not
// make a question (two subjects with equal values to compare, or a yes/no
// subject paired with itself). groups is t's groupByAnswer for yes/no
// templates.
func (w *World) ask(t template, groups map[*Entity][]*Entity, rng *rand.Rand) (Question, bool) {
	subjects := w.OfType(t.subject)
	a := subjects[rng.IntN(len(subjects))]
	q := Question{Type: t.typ, Template: t.name}
	switch t.typ {
	case Bridge, Chain:
		steps, end, value := w.walk(t, a)
		q.Question = fmt.Sprintf(t.format, a.Name)
		q.Decomposition = steps
		if end != nil {
			q.Answers = append([]string{end.Name}, end.Aliases...)
		} else {
			q.Answers = []string{t.hops[len(t.hops)-1].format(value)}
		}
	case Comparison:
		b := subjects[rng.IntN(len(subjects))]
		stepsA, _, va := w.walk(t, a)
		stepsB, _, vb := w.walk(t, b)
		if va == vb {
			return q, false
		}
		winner := a
		if (vb < va) == t.earlier {
			winner = b
		}
		q.Question = fmt.Sprintf(t.format, a.Name, b.Name)
		q.Subjects = []string{a.Name, b.Name}
		q.Decomposition = append(stepsA, stepsB...)
		q.Answers = append([]string{winner.Name}, winner.Aliases...)
	case YesNo:
		b := w.partner(t, a, groups, rng)
		if b == a {
			return q, false
		}
		stepsA, endA, _ := w.walk(t, a)
		stepsB, endB, _ := w.walk(t, b)
		q.Question = fmt.Sprintf(t.format, a.Name, b.Name)
		q.Subjects = []string{a.Name, b.Name}
		q.Decomposition = append(stepsA, stepsB...)
		q.Answers = []string{"no"}
		if endA == endB {
			q.Answers = []string{"yes"}
		}
	}
	q.Hops = len(q.Decomposition)
	seen := map[string]bool{}
	for _, s := range q.Decomposition {
		for _, id := range s.Supporting {
			if !seen[id] {
				seen[id] = true
				q.Supporting = append(q.Supporting, id)
			}
		}
	}
	return q, true
}

// partner picks the second subject of a yes/no question: half the time one
// that shares a's answer (when another does), so that "yes" is as common
// as "no" even when sharing is rare. groups maps each answer to the
// subjects that have it.
func (w *World) partner(t template, a *Entity, groups map[*Entity][]*Entity, rng *rand.Rand) *Entity {
	subjects := w.OfType(t.subject)
	_, end, _ := w.walk(t, a)
	if same := groups[end]; rng.IntN(2) == 1 && len(same) > 1 {
		return otherThan(rng, same, a)
	}
	return subjects[rng.IntN(len(subjects))]
}

// groupByAnswer maps each entity a yes/no template's hops reach to the
// subjects that reach it.
func (w *World) groupByAnswer(t template) map[*Entity][]*Entity {
	groups := map[*Entity][]*Entity{}
	for _, e := range w.OfType(t.subject) {
		_, end, _ := w.walk(t, e)
		groups[end] = append(groups[end], e)
	}
	return groups
}

// maxDrawsPerQuestion bounds the draws spent per wanted question before a
// world is declared too small for the number asked.
const maxDrawsPerQuestion = 50

// questions draws n distinct questions from w, split over the types by Mix
// and over each type's templates in turn, shuffled, with IDs split-i.
func (w *World) questions(n int, rng *rand.Rand) ([]Question, error) {
	var out []Question
	seen := map[string]bool{}
	left := n
	for i, typ := range QuestionTypes {
		want := int(float64(n)*Mix[i] + 0.5)
		if i == len(QuestionTypes)-1 || want > left {
			want = left
		}
		left -= want
		var ts []template
		var groups []map[*Entity][]*Entity
		for _, t := range templates {
			if t.typ == typ {
				ts = append(ts, t)
				if typ == YesNo {
					groups = append(groups, w.groupByAnswer(t))
				} else {
					groups = append(groups, nil)
				}
			}
		}
		got := 0
		for draw := 0; got < want; draw++ {
			if draw > maxDrawsPerQuestion*want {
				return nil, fmt.Errorf("world %s: only %d distinct %s questions found of %d wanted; ask fewer questions or use more entities",
					w.Split, got, typ, want)
			}
			q, ok := w.ask(ts[draw%len(ts)], groups[draw%len(ts)], rng)
			if !ok || seen[q.Question] {
				continue
			}
			seen[q.Question] = true
			out = append(out, q)
			got++
		}
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	for i := range out {
		out[i].ID = fmt.Sprintf("%s-%d", w.Split, i)
	}
	return out, nil
}

// questionWords lists the fixed words of questions, so that no name can be
// one of them.
func questionWords() []string {
	var ws []string
	for _, t := range templates {
		ws = append(ws, words(t.format)...)
		for _, h := range t.hops {
			ws = append(ws, words(h.ask)...)
		}
	}
	return append(ws, "yes", "no")
}

// templateWords lists every fixed word of passages and questions.
func templateWords() []string {
	ws := questionWords()
	for _, f := range passageText {
		ws = append(ws, words(f)...)
	}
	return ws
}

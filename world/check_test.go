package world

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// stated maps each kind of sub-question to the sentence a passage must
// contain for the step's answer to be read from it, written here from the
// English rather than from the generator's formats, so that a passage that
// mentions the answer for another reason (a distractor) does not pass.
var stated = []struct {
	ask      *regexp.Regexp
	sentence string // %s: the quoted answer
}{
	{regexp.MustCompile(`^Who directed (.+)\?$`), `directed by %s\.`},
	{regexp.MustCompile(`^Which company produced (.+)\?$`), `produced by %s and`},
	{regexp.MustCompile(`^Who founded (.+)\?$`), `founded in \d+ by %s\.`},
	{regexp.MustCompile(`^Where is (.+) headquartered\?$`), `Its headquarters are in %s\.`},
	{regexp.MustCompile(`^Where was (.+) born\?$`), `born in \d+ in %s\.`},
	{regexp.MustCompile(`^In which country is (.+)\?$`), `is a city in %s\.`},
	{regexp.MustCompile(`^What is the capital of (.+)\?$`), `Its capital is %s\.`},
	{regexp.MustCompile(`^When was (.+) born\?$`), `born in %s in`},
	{regexp.MustCompile(`^When was (.+) released\?$`), `is a %s film`},
	{regexp.MustCompile(`^When was (.+) founded\?$`), `founded in %s`},
	{regexp.MustCompile(`^What is the population of (.+)\?$`), `has a population of %s\.`},
}

// wantHops gives the possible hop counts of each question type.
var wantHops = map[QuestionType][]int{Bridge: {2}, Chain: {3}, Comparison: {2}, YesNo: {2, 4}}

// checkGeneration checks the invariants every generation must hold and
// reports the first few violations.
func checkGeneration(t testing.TB, g *Generation) {
	t.Helper()
	errs := 0
	fail := func(format string, args ...any) {
		t.Helper()
		if errs++; errs <= 10 {
			t.Errorf(format, args...)
		}
	}
	for _, split := range Splits {
		passages := map[string]Passage{}
		for _, p := range g.World(split).Passages() {
			passages[p.ID] = p
		}
		seen := map[string]bool{}
		for _, q := range g.Questions[split] {
			if err := checkQuestion(q, passages); err != nil {
				fail("%s %q: %v", q.ID, q.Question, err)
			}
			if seen[q.Question] {
				fail("%s %q: asked twice", q.ID, q.Question)
			}
			seen[q.Question] = true
		}
	}
}

// checkQuestion checks one question against the passages of its world:
// each step's sub-question names its passage's title, the passage states
// the step's answer in the sentence that answers that sub-question, each
// bridge entity is named by the next step, later hops' passages do not
// name the question's subject, and the gold answer follows from the steps'
// answers.
func checkQuestion(q Question, passages map[string]Passage) error {
	if len(q.Answers) == 0 || q.Answers[0] == "" {
		return fmt.Errorf("no gold answer")
	}
	if !slices.Contains(wantHops[q.Type], q.Hops) || q.Hops != len(q.Decomposition) {
		return fmt.Errorf("type %s with %d hops and %d steps", q.Type, q.Hops, len(q.Decomposition))
	}
	var support []string
	for i, s := range q.Decomposition {
		if len(s.Supporting) != 1 {
			return fmt.Errorf("step %d: %d supporting passages, want 1", i, len(s.Supporting))
		}
		p, ok := passages[s.Supporting[0]]
		if !ok {
			return fmt.Errorf("step %d: passage %s is not in the question's world", i, s.Supporting[0])
		}
		if !slices.Contains(support, p.ID) {
			support = append(support, p.ID)
		}
		if !strings.Contains(s.Question, p.Title) {
			return fmt.Errorf("step %d %q does not name its passage %q", i, s.Question, p.Title)
		}
		if err := statesAnswer(s, p); err != nil {
			return fmt.Errorf("step %d: %w", i, err)
		}
	}
	if !slices.Equal(support, q.Supporting) {
		return fmt.Errorf("supporting %v, steps read %v", q.Supporting, support)
	}
	steps := q.Decomposition
	if q.Type == Comparison || q.Type == YesNo {
		half := len(steps) / 2
		want := []string{passages[steps[0].Supporting[0]].Title, passages[steps[half].Supporting[0]].Title}
		if !slices.Equal(q.Subjects, want) {
			return fmt.Errorf("subjects %q, steps start from %q", q.Subjects, want)
		}
	} else if len(q.Subjects) != 0 {
		return fmt.Errorf("subjects %q on a %s question", q.Subjects, q.Type)
	}
	switch q.Type {
	case Bridge, Chain:
		if !strings.Contains(q.Question, passages[steps[0].Supporting[0]].Title) {
			return fmt.Errorf("question does not name the first passage")
		}
		subject := passages[steps[0].Supporting[0]].Title
		for i := 1; i < len(steps); i++ {
			if !strings.Contains(steps[i].Question, steps[i-1].Answer) {
				return fmt.Errorf("step %d does not use the bridge %q", i, steps[i-1].Answer)
			}
			// Else retrieving with the question alone could find this hop.
			if p := passages[steps[i].Supporting[0]]; namesWord(p.Text, subject) {
				return fmt.Errorf("step %d's passage %s names the question's subject %q", i, p.ID, subject)
			}
		}
		if last := steps[len(steps)-1].Answer; q.Answers[0] != last {
			return fmt.Errorf("gold %q, last step %q", q.Answers[0], last)
		}
	case Comparison:
		a, b := passages[steps[0].Supporting[0]].Title, passages[steps[1].Supporting[0]].Title
		va, vb := number(steps[0].Answer), number(steps[1].Answer)
		winner := a
		if strings.Contains(q.Question, " first,") == (vb < va) {
			winner = b
		}
		if va == vb || q.Answers[0] != winner || !strings.Contains(q.Question, a+" or "+b) {
			return fmt.Errorf("gold %q from %s=%s and %s=%s", q.Answers[0], a, steps[0].Answer, b, steps[1].Answer)
		}
	case YesNo:
		half := len(steps) / 2
		same := steps[half-1].Answer == steps[len(steps)-1].Answer
		if want := map[bool]string{true: "yes", false: "no"}[same]; q.Answers[0] != want || len(q.Answers) != 1 {
			return fmt.Errorf("gold %v, steps say %q", q.Answers, want)
		}
		if half == 2 && (!strings.Contains(steps[1].Question, steps[0].Answer) || !strings.Contains(steps[3].Question, steps[2].Answer)) {
			return fmt.Errorf("second hops do not use the bridges")
		}
	default:
		return fmt.Errorf("unknown type %q", q.Type)
	}
	return nil
}

// statesAnswer checks that passage p states step s's answer in the
// sentence that answers s's sub-question, about the entity s names.
func statesAnswer(s Step, p Passage) error {
	for _, st := range stated {
		m := st.ask.FindStringSubmatch(s.Question)
		if m == nil {
			continue
		}
		if m[1] != p.Title {
			return fmt.Errorf("%q asks about %q, passage is %q", s.Question, m[1], p.Title)
		}
		re := regexp.MustCompile(fmt.Sprintf(st.sentence, regexp.QuoteMeta(s.Answer)))
		if !re.MatchString(p.Text) {
			return fmt.Errorf("passage %s does not say %q (answer %q): %s", p.ID, re, s.Answer, p.Text)
		}
		return nil
	}
	return fmt.Errorf("unknown sub-question %q", s.Question)
}

// namesWord reports whether text holds name as whole words, so that
// "Zozo" is not found in "Zozoma".
func namesWord(text, name string) bool {
	return regexp.MustCompile(`\b` + regexp.QuoteMeta(name) + `\b`).MatchString(text)
}

// number reads "1,908,000" or "1954".
func number(s string) int {
	n, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
	if err != nil {
		return -1
	}
	return n
}

package world

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Passage is one retrievable document in the FlashRAG wiki18 corpus format.
type Passage struct {
	ID    string
	Title string
	Text  string
}

// Contents renders the passage as FlashRAG's "contents" field: the title in
// double quotes on the first line, then the text.
func (p Passage) Contents() string { return strconv.Quote(p.Title) + "\n" + p.Text }

// The sentences of the passages. Every entity gets one passage of a few
// sentences; besides the facts that questions ask about, it names other
// entities (distractors) so that a reader has to tell the birthplace from
// the later home, the director from the writer and the star.
//
// A passage names only entities its own entity points to, never those
// pointing to it (a person's passage does not list the films they
// directed): such back-links would put the second hop's passage among the
// hits for the question itself ("Where was the director of X born?" would
// retrieve the director's passage through X), and one retrieval would
// answer most bridge questions. The one back-link kept, a country's cities,
// is never a question's second hop.
const (
	fmtCountry  = "%s is a country with a population of %d million. Its capital is %s. %s borders %s."
	fmtCities   = "Cities in %s include %s."
	fmtCity     = "%s is a city in %s. It was founded in %d and has a population of %s. %s lies near %s."
	fmtCapital  = "It is the capital of %s."
	fmtPerson   = "%s is a %s born in %d in %s. %s studied in %s and later moved to %s, where %s worked with %s."
	fmtFilm     = "%s is a %d film directed by %s. It was written by %s, produced by %s and stars %s. The film was shot in %s."
	fmtCompany  = "%s is a company founded in %d by %s. Its headquarters are in %s. %s also has an office in %s. It is led by %s and employs %s people."
	maxListed   = 3 // cities a country's passage lists
	occupations = "film director, entrepreneur, actor, writer, painter"
)

// passageText lists the fixed text of passages, so that no name can be one
// of its words.
var passageText = []string{fmtCountry, fmtCities, fmtCity, fmtCapital, fmtPerson, fmtFilm, fmtCompany, occupations, "he she"}

// Passages renders one passage per entity of w, in entity order; a
// passage's ID is its entity's ID.
func (w *World) Passages() []Passage {
	roles := w.roles()
	cities := map[string][]string{}
	for _, c := range w.OfType(City) {
		cities[c.Country] = append(cities[c.Country], c.Name)
	}
	ps := make([]Passage, len(w.Entities))
	for i, e := range w.Entities {
		ps[i] = Passage{ID: e.ID, Title: e.Name, Text: w.passageText(e, roles[e.ID], cities[e.ID])}
	}
	return ps
}

// passageText writes e's passage; roles are a person's occupations,
// cities a country's cities.
func (w *World) passageText(e *Entity, roles, cities []string) string {
	name := func(id string) string { return w.Get(id).Name }
	var s []string
	switch e.Type {
	case Country:
		s = append(s, fmt.Sprintf(fmtCountry, e.Name, e.Population/1_000_000, name(e.Capital), e.Name, name(e.Borders)))
		if len(cities) > 0 {
			s = append(s, fmt.Sprintf(fmtCities, e.Name, joinAnd(cities[:min(len(cities), maxListed)])))
		}
	case City:
		s = append(s, fmt.Sprintf(fmtCity, e.Name, name(e.Country), e.Year, thousands(e.Population), e.Name, name(e.Near)))
		if w.Get(e.Country).Capital == e.ID {
			s = append(s, fmt.Sprintf(fmtCapital, name(e.Country)))
		}
	case Person:
		he := "he"
		if e.Female {
			he = "she"
		}
		if len(roles) == 0 {
			roles = []string{[]string{"writer", "painter"}[len(e.Name)%2]}
		}
		s = append(s, fmt.Sprintf(fmtPerson, e.Name, joinAnd(roles), e.Year, name(e.BornIn),
			capitalize(he), name(e.StudiedIn), name(e.MovedTo), he, name(e.WorkedWith)))
	case Film:
		s = append(s, fmt.Sprintf(fmtFilm, e.Name, e.Year, name(e.Director), name(e.Writer), name(e.Producer), name(e.Star), name(e.ShotIn)))
	case Company:
		s = append(s, fmt.Sprintf(fmtCompany, e.Name, e.Year, name(e.Founder), name(e.Headquarters), e.Name, name(e.Office),
			name(e.Chief), thousands(e.Employees)))
	}
	return strings.Join(s, " ")
}

// roles maps each person to what they are known for in the world, in a
// fixed order; people with no role get a neutral trade in passageText.
func (w *World) roles() map[string][]string {
	has := map[string]map[string]bool{}
	mark := func(id, role string) {
		if has[id] == nil {
			has[id] = map[string]bool{}
		}
		has[id][role] = true
	}
	for _, f := range w.OfType(Film) {
		mark(f.Director, "film director")
		mark(f.Star, "actor")
	}
	for _, c := range w.OfType(Company) {
		mark(c.Founder, "entrepreneur")
	}
	roles := map[string][]string{}
	for id, set := range has {
		for _, r := range []string{"film director", "entrepreneur", "actor"} {
			if set[r] {
				roles[id] = append(roles[id], r)
			}
		}
	}
	return roles
}

// joinAnd joins "a", "a and b", "a, b and c".
func joinAnd(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// thousands writes n with comma separators, as English prose does.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func capitalize(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// words splits text into its lower-case alphabetic words.
func words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) })
}

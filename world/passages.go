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

// The sentences of the passages, one format per fact. Every entity gets one
// passage of a few sentences; besides the facts that questions ask about,
// it names other entities (distractors) so that a reader has to tell the
// birthplace from the later home, the director from the star.
const (
	fmtCountry      = "%s is a country with a population of %d million. Its capital is %s. %s borders %s."
	fmtCountryHas   = "Cities in %s include %s."
	fmtCity         = "%s is a city in %s. It was founded in %d and has a population of %s. %s lies near %s."
	fmtCapital      = "It is the capital of %s."
	fmtNatives      = "People born in %s include %s."
	fmtPerson       = "%s is a %s born in %d in %s. %s later moved to %s, where %s worked with %s."
	fmtDirected     = "%s directed %s."
	fmtFounded      = "%s founded %s."
	fmtStarred      = "%s appeared in %s."
	fmtFilm         = "%s is a %d film directed by %s. It was written by %s, produced by %s and stars %s. The film was shot in %s."
	fmtCompany      = "%s is a company founded in %d by %s. Its headquarters are in %s. %s also has an office in %s. It is led by %s and employs %s people."
	fmtCompanyFilms = "%s produced %s."
)

// passageFormats lists the formats above, and passageWords the words
// passages use beyond them, so that no name can be one of these words.
var (
	passageFormats = []string{fmtCountry, fmtCountryHas, fmtCity, fmtCapital, fmtNatives, fmtPerson,
		fmtDirected, fmtFounded, fmtStarred, fmtFilm, fmtCompany, fmtCompanyFilms}
	passageWords = []string{"he", "she", "and", "film", "director", "entrepreneur", "actor", "writer", "painter"}
)

// maxListed caps the entities a passage lists in one sentence.
const maxListed = 3

// Passages renders one passage per entity of w, in entity order; a
// passage's ID is its entity's ID.
func (w *World) Passages() []Passage {
	links := w.backlinks()
	ps := make([]Passage, len(w.Entities))
	for i, e := range w.Entities {
		ps[i] = Passage{ID: e.ID, Title: e.Name, Text: w.passageText(e, links)}
	}
	return ps
}

// backlinks holds the relations read backwards (the films a person
// directed), as names in entity order, for the passage of their target.
type backlinks struct {
	cities, natives, directed, founded, starred, produced map[string][]string
}

func (w *World) backlinks() backlinks {
	b := backlinks{map[string][]string{}, map[string][]string{}, map[string][]string{},
		map[string][]string{}, map[string][]string{}, map[string][]string{}}
	for _, e := range w.Entities {
		switch e.Type {
		case City:
			b.cities[e.Country] = append(b.cities[e.Country], e.Name)
		case Person:
			b.natives[e.BornIn] = append(b.natives[e.BornIn], e.Name)
		case Film:
			b.directed[e.Director] = append(b.directed[e.Director], e.Name)
			b.starred[e.Star] = append(b.starred[e.Star], e.Name)
			b.produced[e.Producer] = append(b.produced[e.Producer], e.Name)
		case Company:
			b.founded[e.Founder] = append(b.founded[e.Founder], e.Name)
		}
	}
	return b
}

func (w *World) passageText(e *Entity, links backlinks) string {
	name := func(id string) string { return w.Get(id).Name }
	var s []string
	// list adds a sentence naming the first maxListed entities of list.
	list := func(format, subject string, names []string) {
		if len(names) > 0 {
			s = append(s, fmt.Sprintf(format, subject, joinAnd(names[:min(len(names), maxListed)])))
		}
	}
	switch e.Type {
	case Country:
		s = append(s, fmt.Sprintf(fmtCountry, e.Name, e.Population/1_000_000, name(e.Capital), e.Name, name(e.Borders)))
		list(fmtCountryHas, e.Name, links.cities[e.ID])
	case City:
		s = append(s, fmt.Sprintf(fmtCity, e.Name, name(e.Country), e.Year, thousands(e.Population), e.Name, name(e.Near)))
		if w.Get(e.Country).Capital == e.ID {
			s = append(s, fmt.Sprintf(fmtCapital, name(e.Country)))
		}
		list(fmtNatives, e.Name, links.natives[e.ID])
	case Person:
		he := "he"
		if e.Female {
			he = "she"
		}
		s = append(s, fmt.Sprintf(fmtPerson, e.Name, occupation(e, links), e.Year, name(e.BornIn),
			capitalize(he), name(e.MovedTo), he, name(e.WorkedWith)))
		list(fmtDirected, e.Surname(), links.directed[e.ID])
		list(fmtFounded, e.Surname(), links.founded[e.ID])
		list(fmtStarred, e.Surname(), links.starred[e.ID])
	case Film:
		s = append(s, fmt.Sprintf(fmtFilm, e.Name, e.Year, name(e.Director), name(e.Writer), name(e.Producer), name(e.Star), name(e.ShotIn)))
	case Company:
		s = append(s, fmt.Sprintf(fmtCompany, e.Name, e.Year, name(e.Founder), name(e.Headquarters), e.Name, name(e.Office),
			name(e.Chief), thousands(e.Employees)))
		list(fmtCompanyFilms, e.Name, links.produced[e.ID])
	}
	return strings.Join(s, " ")
}

// occupation names what a person is known for, from their roles in the
// world; people with no role get one of two neutral trades.
func occupation(p *Entity, links backlinks) string {
	var roles []string
	if len(links.directed[p.ID]) > 0 {
		roles = append(roles, "film director")
	}
	if len(links.founded[p.ID]) > 0 {
		roles = append(roles, "entrepreneur")
	}
	if len(links.starred[p.ID]) > 0 {
		roles = append(roles, "actor")
	}
	if len(roles) == 0 {
		roles = append(roles, []string{"writer", "painter"}[len(p.Name)%2])
	}
	return joinAnd(roles)
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

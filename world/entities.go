package world

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// Type is the kind of an entity.
type Type string

// The entity types of a world.
const (
	Country Type = "country"
	City    Type = "city"
	Person  Type = "person"
	Film    Type = "film"
	Company Type = "company"
)

// Types lists the entity types in generation order.
var Types = []Type{Country, City, Person, Film, Company}

// Entity is one node of a world's graph. Which fields are set depends on
// Type; relations hold entity IDs. Relations marked "distractor" are true
// facts that passages mention so that a reader must pick the right one
// (a person's later home next to their birthplace), but no question asks
// about them.
type Entity struct {
	ID   string `json:"id"`
	Type Type   `json:"type"`
	Name string `json:"name"`
	// Aliases are other names an answer may use (a person's surname).
	Aliases []string `json:"aliases,omitempty"`
	Female  bool     `json:"female,omitempty"`
	// Year is when a person was born, a city or company founded, a film
	// released.
	Year       int `json:"year,omitempty"`
	Population int `json:"population,omitempty"` // cities, countries
	Employees  int `json:"employees,omitempty"`  // companies

	Country      string `json:"country,omitempty"`      // city: the country it lies in
	Capital      string `json:"capital,omitempty"`      // country
	Borders      string `json:"borders,omitempty"`      // country: a neighbour (distractor)
	Near         string `json:"near,omitempty"`         // city: a nearby city (distractor)
	BornIn       string `json:"born_in,omitempty"`      // person: a city
	StudiedIn    string `json:"studied_in,omitempty"`   // person: a city (distractor)
	MovedTo      string `json:"moved_to,omitempty"`     // person: a city (distractor)
	WorkedWith   string `json:"worked_with,omitempty"`  // person: a person (distractor)
	Director     string `json:"director,omitempty"`     // film: a person
	Producer     string `json:"producer,omitempty"`     // film: a company
	Star         string `json:"star,omitempty"`         // film: a person (distractor)
	Writer       string `json:"writer,omitempty"`       // film: a person (distractor)
	ShotIn       string `json:"shot_in,omitempty"`      // film: a city (distractor)
	Founder      string `json:"founder,omitempty"`      // company: a person
	Headquarters string `json:"headquarters,omitempty"` // company: a city
	Office       string `json:"office,omitempty"`       // company: a city (distractor)
	Chief        string `json:"chief,omitempty"`        // company: its chief executive, a person (distractor)
}

// Surname is the last word of a person's name.
func (e *Entity) Surname() string { return e.Name[strings.LastIndexByte(e.Name, ' ')+1:] }

// World is one self-contained graph of entities. Worlds of one generation
// share no entity and no name word.
type World struct {
	Split    string    `json:"split"`
	Entities []*Entity `json:"entities"`

	byID   map[string]*Entity
	byType map[Type][]*Entity
}

// Get returns the entity with the given ID, or nil.
func (w *World) Get(id string) *Entity { return w.byID[id] }

// OfType returns the entities of type t in generation order.
func (w *World) OfType(t Type) []*Entity { return w.byType[t] }

func newWorld(split string) *World {
	return &World{Split: split, byID: map[string]*Entity{}, byType: map[Type][]*Entity{}}
}

// add appends e to the world and its look-up tables.
func (w *World) add(e *Entity) {
	w.Entities = append(w.Entities, e)
	w.byID[e.ID] = e
	w.byType[e.Type] = append(w.byType[e.Type], e)
}

// typeCounts splits n entities over the types: few countries, each with at
// least two cities; people outnumber films so that some people direct
// several films (which yes/no questions about a shared director need).
func typeCounts(n int) map[Type]int {
	c := map[Type]int{Country: max(2, n/25)}
	c[City] = max(2*c[Country], n*16/100)
	c[Person] = n * 40 / 100
	c[Film] = n * 24 / 100
	c[Company] = n - c[Country] - c[City] - c[Person] - c[Film]
	return c
}

// minEntities is the smallest world typeCounts can fill with every type.
const minEntities = 40

// buildWorld draws a world of n entities. Years are kept plausible: a film
// comes out 25 to 60 years after its director's birth, a company is
// founded 20 to 50 years after its founder's, and neither after lastYear.
func buildWorld(split string, n int, rng *rand.Rand, names *nameBook) *World {
	w := newWorld(split)
	count := typeCounts(n)
	add := func(t Type, name string) *Entity {
		e := &Entity{ID: fmt.Sprintf("%s-%s-%d", split, t, len(w.byType[t])), Type: t, Name: name}
		w.add(e)
		return e
	}
	for range count[Country] {
		c := add(Country, names.word(Country))
		c.Population = 1_000_000 * (1 + rng.IntN(90))
	}
	countries := w.byType[Country]
	for i := range count[City] {
		c := add(City, names.word(City))
		c.Year = 900 + rng.IntN(1000)
		c.Population = 1000 * (20 + rng.IntN(1980))
		// The first cities are the capitals, one per country.
		country := countries[i%len(countries)]
		if i >= len(countries) {
			country = countries[rng.IntN(len(countries))]
		} else {
			country.Capital = c.ID
		}
		c.Country = country.ID
	}
	cities := w.byType[City]
	for _, country := range countries {
		country.Borders = otherThan(rng, countries, country).ID
	}
	for _, c := range cities {
		c.Near = otherThan(rng, cities, c).ID
	}
	for range count[Person] {
		p := add(Person, names.word(Person)+" "+names.word(Person))
		p.Aliases = []string{p.Surname()}
		p.Female = rng.IntN(2) == 0
		p.Year = 1900 + rng.IntN(lastBirthYear-1900+1)
		p.BornIn = cities[rng.IntN(len(cities))].ID
		p.StudiedIn = otherThan(rng, cities, w.Get(p.BornIn)).ID
		p.MovedTo = otherThan(rng, cities, w.Get(p.BornIn), w.Get(p.StudiedIn)).ID
	}
	people := w.byType[Person]
	for _, p := range people {
		p.WorkedWith = otherThan(rng, people, p).ID
	}
	for range count[Company] {
		c := add(Company, names.word(Company))
		founder := people[rng.IntN(len(people))]
		c.Founder = founder.ID
		c.Year = laterYear(rng, founder.Year+20, 30)
		c.Headquarters = cities[rng.IntN(len(cities))].ID
		c.Office = otherThan(rng, cities, w.Get(c.Headquarters)).ID
		c.Chief = otherThan(rng, people, founder).ID
		c.Employees = 100 * (1 + rng.IntN(200))
	}
	companies := w.byType[Company]
	directors := people[:max(1, count[Film]*2/3)]
	for range count[Film] {
		f := add(Film, names.word(Film))
		director := directors[rng.IntN(len(directors))]
		f.Director = director.ID
		f.Year = laterYear(rng, director.Year+25, 35)
		f.Producer = companies[rng.IntN(len(companies))].ID
		f.Star = otherThan(rng, people, director).ID
		f.Writer = otherThan(rng, people, director).ID
		f.ShotIn = cities[rng.IntN(len(cities))].ID
	}
	return w
}

// Years of a world: people are born up to lastBirthYear, so that their
// films and companies fit before lastYear.
const (
	lastBirthYear = 1975
	lastYear      = 2024
)

// laterYear draws a year from first to first+spread, but not after lastYear.
func laterYear(rng *rand.Rand, first, spread int) int {
	return first + rng.IntN(min(spread, lastYear-first)+1)
}

// otherThan picks an entity of list that is none of not (list has more
// entities than not).
func otherThan(rng *rand.Rand, list []*Entity, not ...*Entity) *Entity {
	for {
		if o := list[rng.IntN(len(list))]; !slices.Contains(not, o) {
			return o
		}
	}
}

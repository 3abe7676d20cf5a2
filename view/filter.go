package view

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"research/rollout"
)

// Filter selects rollouts; its zero value selects all. It lives in the
// page's query string, so a filtered list has a URL of its own.
type Filter struct {
	Type      string
	MinReward string // as typed; empty or not a number: no bound
	MaxReward string
	Searches  string // "", "N" (exactly N) or "N+" (at least N)
	Finish    string
	Text      string // case-insensitive, in the question, answers, response, queries and id
}

func parseFilter(q url.Values) Filter {
	return Filter{
		Type:      q.Get("type"),
		MinReward: strings.TrimSpace(q.Get("rmin")),
		MaxReward: strings.TrimSpace(q.Get("rmax")),
		Searches:  strings.TrimSpace(q.Get("searches")),
		Finish:    q.Get("finish"),
		Text:      strings.TrimSpace(q.Get("q")),
	}
}

// Query is the filter as a query string, for links that keep it.
func (f Filter) Query() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"type": f.Type, "rmin": f.MinReward, "rmax": f.MaxReward,
		"searches": f.Searches, "finish": f.Finish, "q": f.Text} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// Active reports whether the filter selects less than everything.
func (f Filter) Active() bool { return f != Filter{} }

func (f Filter) match(r *Rollout) bool {
	t := r.T
	if f.Type != "" && r.Type != f.Type {
		return false
	}
	if x, err := strconv.ParseFloat(f.MinReward, 64); err == nil && t.Reward < x {
		return false
	}
	if x, err := strconv.ParseFloat(f.MaxReward, 64); err == nil && t.Reward > x {
		return false
	}
	if f.Searches != "" {
		n := len(t.Searches)
		if s, ok := strings.CutSuffix(f.Searches, "+"); ok {
			if x, err := strconv.Atoi(s); err == nil && n < x {
				return false
			}
		} else if x, err := strconv.Atoi(f.Searches); err == nil && n != x {
			return false
		}
	}
	if f.Finish != "" && t.Finish != f.Finish {
		return false
	}
	if f.Text != "" && !containsFold(f.Text, t.ExampleID, t.Question, t.ResponseText, strings.Join(t.Golds, "\n"), queries(t.Searches)) {
		return false
	}
	return true
}

func queries(ss []rollout.Search) string {
	var b strings.Builder
	for _, s := range ss {
		b.WriteString(s.Query)
		b.WriteByte('\n')
	}
	return b.String()
}

func containsFold(needle string, hay ...string) bool {
	needle = strings.ToLower(needle)
	for _, h := range hay {
		if strings.Contains(strings.ToLower(h), needle) {
			return true
		}
	}
	return false
}

// choices are the values a step's filter menus offer: those present.
type choices struct {
	Types, Finishes, Searches []string
}

func stepChoices(s *Step) choices {
	var c choices
	maxSearches := 0
	for i := range s.Rollouts {
		r := &s.Rollouts[i]
		if r.Type != "" && !slices.Contains(c.Types, r.Type) {
			c.Types = append(c.Types, r.Type)
		}
		if !slices.Contains(c.Finishes, r.T.Finish) {
			c.Finishes = append(c.Finishes, r.T.Finish)
		}
		maxSearches = max(maxSearches, len(r.T.Searches))
	}
	slices.Sort(c.Types)
	slices.Sort(c.Finishes)
	for n := 0; n <= maxSearches; n++ {
		c.Searches = append(c.Searches, strconv.Itoa(n))
	}
	if maxSearches > 0 {
		c.Searches = append(c.Searches, "1+")
	}
	return c
}

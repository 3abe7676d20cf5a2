package main

import (
	"reflect"
	"strings"
	"testing"

	"research/world"
)

func TestTypesFlag(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []world.QuestionType
		err  string
	}{
		{"bridge,chain", []world.QuestionType{world.Bridge, world.Chain}, ""},
		{" yesno ", []world.QuestionType{world.YesNo}, ""},
		{"bridge,foo", nil, `unknown question type "foo"`},
		{"", nil, `unknown question type ""`},
	} {
		var got []world.QuestionType
		err := typesFlag{&got}.Set(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Set(%q) error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Set(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
		if s := (typesFlag{&got}).String(); s != joinTypes(c.want) {
			t.Errorf("String() = %q", s)
		}
	}
}

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
)

// syllables make pronounceable synthetic words: word i is i written in base
// len(syllables), at least two syllables long, so that every word is
// distinct, alphabetic and not a stop word.
var syllables = func() []string {
	var s []string
	for _, c := range "bdfgklmnprstvz" {
		for _, v := range "aeiou" {
			s = append(s, string(c)+string(v))
		}
	}
	return s
}()

func word(i uint64) string {
	var sb strings.Builder
	n := uint64(len(syllables))
	for k := 0; k < 2 || i > 0; k++ {
		sb.WriteString(syllables[i%n])
		i /= n
	}
	return sb.String()
}

// generate writes a corpus of docs passages of about words words drawn
// from a Zipf distribution (s = 1.07) over a vocabulary of vocab words, and
// nq queries of 2-6 words that avoid the 100 most frequent words.
func generate(corpusPath, queriesPath string, docs, words, vocab, nq int) error {
	rng := rand.New(rand.NewPCG(2026, 6))
	zipf := rand.NewZipf(rng, 1.07, 1, uint64(vocab-1))
	f, err := os.Create(corpusPath)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var sb strings.Builder
	for d := range docs {
		sb.Reset()
		n := words/2 + rng.IntN(words+1)
		for i := range n {
			if i > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(word(zipf.Uint64()))
		}
		title := word(zipf.Uint64()) + " " + word(zipf.Uint64())
		line, _ := json.Marshal(map[string]string{"id": fmt.Sprint(d), "contents": "\"" + title + "\"\n" + sb.String()})
		w.Write(line)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	qf, err := os.Create(queriesPath)
	if err != nil {
		return err
	}
	qw := bufio.NewWriter(qf)
	for range nq {
		var q []string
		for len(q) < 2+rng.IntN(5) {
			if r := zipf.Uint64(); r >= 100 {
				q = append(q, word(r))
			}
		}
		fmt.Fprintln(qw, strings.Join(q, " "))
	}
	if err := qw.Flush(); err != nil {
		return err
	}
	return qf.Close()
}

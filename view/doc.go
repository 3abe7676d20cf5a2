// Package view serves a read-only web page over the output directory of
// research train, research demo or research eval: the run's config and
// report, interactive curves of every metric, the rollouts of each step
// grouped by question, each trace with its parts, the same question under
// each evaluated method, and a search box over the run's index.
//
// Everything the pages show comes from files the run wrote; nothing is
// written back. Model output and data are escaped by html/template and a
// Content-Security-Policy forbids inline script, so a rollout holding
// markup shows as text. Dumps are read only when a page asks for them and
// kept in a small cache, so a run of hundreds of steps opens at once.
package view

package train

// MicroBatches splits sequences, given their lengths, into consecutive
// groups of at most budget tokens each, for gradient accumulation; a
// sequence longer than the budget gets a group of its own. It returns the
// indices of each group.
func MicroBatches(lens []int, budget int) [][]int {
	var groups [][]int
	var cur []int
	tokens := 0
	for i, n := range lens {
		if len(cur) > 0 && tokens+n > budget {
			groups = append(groups, cur)
			cur, tokens = nil, 0
		}
		cur = append(cur, i)
		tokens += n
	}
	if len(cur) > 0 {
		groups = append(groups, cur)
	}
	return groups
}

package rl

// VaryingGroups is DAPO's dynamic-sampling filter, as veRL's DAPO trainer
// applies it (algorithm.filter_groups): metric holds one value per
// rollout and group[i] names rollout i's group, and a group is kept when
// its values are not all equal (a standard deviation above 0) or when it
// has a single rollout. It returns, for each rollout, whether its group is
// kept.
func VaryingGroups(metric []float64, group []int) []bool {
	first := map[int]int{} // a group's first rollout
	size := map[int]int{}
	varies := map[int]bool{}
	for i, g := range group {
		f, ok := first[g]
		if !ok {
			first[g] = i
		} else if metric[i] != metric[f] {
			varies[g] = true
		}
		size[g]++
	}
	keep := make([]bool, len(group))
	for i, g := range group {
		keep[i] = varies[g] || size[g] == 1
	}
	return keep
}

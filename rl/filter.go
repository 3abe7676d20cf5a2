package rl

// VaryingGroups is DAPO's dynamic-sampling filter, as veRL's DAPO trainer
// applies it (algorithm.filter_groups): metric holds one value per
// rollout, rollouts i·n … i·n+n−1 forming group i, and a group is kept
// when its values are not all equal (a standard deviation above 0) or
// when it has a single rollout. It returns whether each group is kept.
func VaryingGroups(metric []float64, n int) []bool {
	groups := (len(metric) + n - 1) / n
	keep := make([]bool, groups)
	for g := range keep {
		first, end := g*n, min((g+1)*n, len(metric))
		keep[g] = end-first == 1
		for i := first + 1; i < end; i++ {
			if metric[i] != metric[first] {
				keep[g] = true
				break
			}
		}
	}
	return keep
}

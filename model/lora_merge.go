package model

// MergeFrom sets the adapted weights of dst to base's plus scale·B·A, so
// dst, a second copy of the base model, computes what base with the
// adapters does; the rest of dst is left as it is. Calling it again after
// the adapters changed refreshes dst: how a trainer keeps a copy for fast
// generation in step with LoRA training.
func (l *LoRA) MergeFrom(dst, base *Model) {
	for i := range l.Layers {
		from, to := base.Layers[i].linears(), dst.Layers[i].linears()
		for _, t := range l.Targets {
			copy(*to[t], *from[t])
		}
	}
	l.Merge(dst)
}

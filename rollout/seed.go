package rollout

import (
	"encoding/binary"
	"hash/fnv"
)

// TurnSeed is the seed of one policy call under Config.TurnSeeds: a hash
// of the run's seed, the rollout's key and its turn (0 for the first
// call), kept below 2⁶³ so that it travels as a JSON int64 (Tinker's
// sampling_params.seed).
func TurnSeed(seed uint64, key string, turn int) uint64 {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], seed)
	binary.LittleEndian.PutUint64(b[8:], uint64(turn))
	h := fnv.New64a()
	h.Write(b[:])
	h.Write([]byte(key))
	// splitmix64's finaliser spreads fnv's low-entropy high bits.
	z := h.Sum64()
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return (z ^ z>>31) >> 1
}

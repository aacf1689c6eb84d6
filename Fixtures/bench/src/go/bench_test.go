package bench

import (
	"sort"
	"strings"
	"testing"
)

func BenchmarkJoin(b *testing.B) {
	parts := []string{"a", "bb", "ccc", "dddd"}
	for i := 0; i < b.N; i++ {
		_ = strings.Join(parts, ",")
	}
}

func BenchmarkSort(b *testing.B) {
	b.SetBytes(8 * 1000)
	v := make([]int, 1000)
	for i := 0; i < b.N; i++ {
		for k := range v {
			v[k] = (k * 7919) % 1000
		}
		sort.Ints(v)
	}
}

package config

import (
	"os"
	"strings"
	"testing"
)

func BenchmarkParse(b *testing.B) {
	example, _ := os.ReadFile("../../examples/signet.yaml")
	inputs := map[string]string{
		"example":   string(example),
		"wide list": "clients: [{jwks: {keys: [" + strings.Repeat("a,", (MaxSize-40)/2) + "a]}}]",
		"keys":      strings.Repeat("k: 1\n", MaxSize/5-1),
		"jsonlist":  "{\"a\": [" + strings.Repeat("1,", (MaxSize-20)/2) + "1]}",
	}
	for name, in := range inputs {
		file := "b.yaml"
		if strings.HasPrefix(in, "{") {
			file = "b.json"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				parse(file, []byte(in), env())
			}
		})
	}
}

package config

import "strings"

// suggest returns the candidate that the user most probably meant by got, or
// "" when none is close. Case, '_', '-' and spaces are ignored ("client_id"
// means "clientId"); otherwise a candidate within a small edit distance
// wins, then one that contains got or is contained in it ("scopes" for
// "allowedScopes", "secrets" for IdentityServer's "ClientSecrets").
func suggest(got string, candidates []string) string {
	g := fold(got)
	if g == "" || len(g) > 64 {
		return ""
	}
	best, bestScore := "", 1<<30
	for _, c := range candidates {
		f := fold(c)
		if f == "" {
			continue
		}
		score := -1
		switch d := distance(g, f); {
		case d == 0:
			score = 0
		case d <= maxDistance(f):
			score = d
		case len(g) >= 4 && len(f) >= 4 && (strings.Contains(f, g) || strings.Contains(g, f)):
			score = 100 + abs(len(f)-len(g))
		}
		if score >= 0 && score < bestScore {
			best, bestScore = c, score
		}
	}
	return best
}

// fold lowercases s and drops the separators people put between words.
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', ' ', '.':
			return -1
		}
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

func maxDistance(s string) int {
	switch n := len(s); {
	case n <= 3:
		return 0
	case n <= 5:
		return 1
	case n <= 12:
		return 2
	}
	return 3
}

// distance is the Levenshtein distance between a and b, in bytes.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

package conf

// Nearest returns the key in known closest to key by edit distance, or ""
// when nothing is close enough to be a plausible typo (more than a third
// of the key's length, and at least 2 edits, away).
func Nearest(key string, known []string) string {
	best, bestD := "", -1
	for _, k := range known {
		d := editDistance(key, k)
		if bestD < 0 || d < bestD {
			best, bestD = k, d
		}
	}
	limit := len(key) / 3
	if limit < 2 {
		limit = 2
	}
	if bestD < 0 || bestD > limit {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
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

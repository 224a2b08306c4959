package graph

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
)

// operatorIDs gives every node a stable 16-hex-digit id. A node with a UID is
// identified by the UID alone, so it keeps its id when the program around it
// changes (what state restore will rely on). Other nodes hash their kind,
// name, position and their inputs' ids, like Flink's StreamGraphHasher.
func operatorIDs(nodes []Node, edges []Edge) []string {
	ids := make([]string, len(nodes))
	for i, n := range nodes {
		h := sha256.New()
		if n.UID != "" {
			fmt.Fprintf(h, "uid\x00%s", n.UID)
		} else {
			fmt.Fprintf(h, "node\x00%s\x00%s\x00%d", n.Kind, n.Name, i)
			for _, e := range edges {
				if e.To == i {
					fmt.Fprintf(h, "\x00in:%s:%s", ids[e.From], e.Partitioner)
				}
			}
		}
		ids[i] = hex.EncodeToString(h.Sum(nil)[:8])
	}
	return ids
}

// computeFingerprint digests the graph's content (everything but the
// fingerprint itself). Two binaries that build the same graph agree on it.
func (g *JobGraph) computeFingerprint() string {
	c := *g
	c.Fingerprint = ""
	b, err := json.Marshal(&c)
	if err != nil {
		// Only plain data is marshalled; this cannot fail.
		panic("graph: marshal for fingerprint: " + err.Error())
	}
	sum := sha256.Sum256(append([]byte("floe-jobgraph/v"+strconv.Itoa(FormatVersion)+"\x00"), b...))
	return hex.EncodeToString(sum[:16])
}

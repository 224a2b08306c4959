package graph

import (
	"strings"
	"testing"
)

// pipeline builds source→op1→op2… with the given partitioners between them.
func pipeline(par []int, parts []Partitioner, disable bool) *Logical {
	l := &Logical{Name: "t", DefaultParallelism: 2, DisableChaining: disable}
	kinds := []string{"source", "map", "filter", "sink", "map", "map"}
	for i, p := range par {
		l.AddNode(Node{Kind: kinds[i], Name: kinds[i] + string(rune('A'+i)), Parallelism: p})
		if i > 0 {
			l.AddEdge(Edge{From: i - 1, To: i, Partitioner: parts[i-1]})
		}
	}
	return l
}

func TestChaining(t *testing.T) {
	cases := []struct {
		name    string
		l       *Logical
		tasks   int
		names   []string
		edges   int
		slots   int
		wantErr string
	}{
		{name: "source-map-filter equal parallelism is one task", l: pipeline([]int{2, 2, 2}, []Partitioner{Auto, Auto}, false),
			tasks: 1, names: []string{"sourceA -> mapB -> filterC"}, slots: 2},
		{name: "keyBy splits in two", l: pipeline([]int{2, 2, 2}, []Partitioner{Auto, Hash}, false),
			tasks: 2, names: []string{"sourceA -> mapB", "filterC"}, edges: 1, slots: 2},
		{name: "chaining disabled is one task per operator", l: pipeline([]int{2, 2, 2}, []Partitioner{Auto, Auto}, true),
			tasks: 3, edges: 2, slots: 2},
		{name: "different parallelism rebalances", l: pipeline([]int{1, 4, 4}, []Partitioner{Auto, Auto}, false),
			tasks: 2, names: []string{"sourceA", "mapB -> filterC"}, edges: 1, slots: 4},
		{name: "default parallelism fills zeros", l: pipeline([]int{0, 0}, []Partitioner{Auto}, false),
			tasks: 1, slots: 2},
		{name: "forward needs equal parallelism", l: pipeline([]int{1, 2}, []Partitioner{Forward}, false),
			wantErr: "forward edge"},
		{name: "rebalance never chains", l: pipeline([]int{2, 2}, []Partitioner{Rebalance}, false), tasks: 2, edges: 1, slots: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Build(tc.l)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(g.Vertices) != tc.tasks {
				t.Fatalf("tasks = %d, want %d: %+v", len(g.Vertices), tc.tasks, g.Vertices)
			}
			for i, n := range tc.names {
				if g.Vertices[i].Name != n {
					t.Errorf("vertex %d = %q, want %q", i, g.Vertices[i].Name, n)
				}
			}
			if len(g.Edges) != tc.edges {
				t.Errorf("edges = %d, want %d", len(g.Edges), tc.edges)
			}
			if g.Slots() != tc.slots {
				t.Errorf("slots = %d, want %d", g.Slots(), tc.slots)
			}
		})
	}
}

func TestDisableChainingOnOneOperator(t *testing.T) {
	l := pipeline([]int{2, 2, 2}, []Partitioner{Auto, Auto}, false)
	l.Nodes[1].DisableChaining = true
	g, err := Build(l)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Vertices) != 3 {
		t.Fatalf("tasks = %d, want 3", len(g.Vertices))
	}
}

func TestUnionConsumerIsNotChained(t *testing.T) {
	l := &Logical{Name: "u", DefaultParallelism: 1}
	a := l.AddNode(Node{Kind: "source", Name: "a"})
	b := l.AddNode(Node{Kind: "source", Name: "b"})
	s := l.AddNode(Node{Kind: "sink", Name: "s"})
	l.AddEdge(Edge{From: a, To: s})
	l.AddEdge(Edge{From: b, To: s})
	g, err := Build(l)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Vertices) != 3 || len(g.Inputs(2)) != 2 {
		t.Fatalf("vertices %d inputs %d", len(g.Vertices), len(g.Inputs(2)))
	}
}

func TestIDsAndFingerprint(t *testing.T) {
	build := func(mod func(*Logical)) *JobGraph {
		l := pipeline([]int{2, 2, 2}, []Partitioner{Auto, Hash}, false)
		if mod != nil {
			mod(l)
		}
		g, err := Build(l)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	a, b := build(nil), build(nil)
	if a.Fingerprint != b.Fingerprint || a.Operators[2].ID != b.Operators[2].ID {
		t.Fatal("same program, different ids or fingerprint")
	}
	c := build(func(l *Logical) { l.Nodes[2].Parallelism = 3 })
	if c.Fingerprint == a.Fingerprint {
		t.Fatal("parallelism change kept the fingerprint")
	}
	u1 := build(func(l *Logical) { l.Nodes[2].UID = "counter"; l.Nodes[1].Name = "renamed" })
	u2 := build(func(l *Logical) { l.Nodes[2].UID = "counter" })
	if u1.Operators[2].ID != u2.Operators[2].ID {
		t.Fatal("uid did not pin the operator id")
	}
	if u1.Operators[1].ID == u2.Operators[1].ID {
		t.Fatal("renaming an operator without uid kept its id")
	}
	if _, err := Build(&Logical{Name: "dup", Nodes: []Node{{Kind: "source", UID: "x"}, {Index: 1, Kind: "sink", UID: "x"}}, Edges: []Edge{{From: 0, To: 1}}}); err == nil {
		t.Fatal("duplicate uid accepted")
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	g, err := Build(pipeline([]int{2, 4, 4}, []Partitioner{Auto, Hash}, false))
	if err != nil {
		t.Fatal(err)
	}
	b, err := g.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	h, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if h.Fingerprint != g.Fingerprint || len(h.Vertices) != len(g.Vertices) {
		t.Fatal("round trip changed the graph")
	}
	tampered := strings.Replace(string(b), `"parallelism": 4`, `"parallelism": 5`, 1)
	if _, err := Unmarshal([]byte(tampered)); err == nil || !strings.Contains(err.Error(), "fingerprint") {
		t.Fatalf("tampered graph: err = %v", err)
	}
	if got := g.Producers(g.Edges[0], 3); len(got) != 2 {
		t.Fatalf("producers = %v", got)
	}
}

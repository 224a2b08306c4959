package stream

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/runtime"
)

type bcRule struct {
	ID    string
	Limit int
}

type bcEvent struct {
	User string
	N    int
}

var rulesDesc = MapStateDescriptor[string, int]{Name: "rules"}

// bcFunc keeps rules in broadcast state; for an event it emits the rules it
// sees, and counts the user's events in keyed state.
var bcFunc = KeyedBroadcastProcessFuncs[string, bcEvent, bcRule, int, string]{
	Element: func(ctx *KeyedBroadcastContext[string, int], e bcEvent, emit func(string)) {
		n, _ := ctx.Value()
		ctx.Update(n + 1)
		var ids []string
		ReadOnlyBroadcastState(ctx, rulesDesc).Range(func(id string, limit int) bool {
			ids = append(ids, fmt.Sprintf("%s=%d", id, limit))
			return true
		})
		sort.Strings(ids)
		emit(fmt.Sprintf("event %s #%d sees %s", ctx.Key(), n+1, strings.Join(ids, ",")))
	},
	BroadcastElement: func(ctx *BroadcastContext, r bcRule, emit func(string)) {
		m := BroadcastState(ctx, rulesDesc)
		if r.Limit == 0 {
			m.Remove(r.ID)
		} else {
			m.Put(r.ID, r.Limit)
		}
		emit(fmt.Sprintf("subtask %d has %d rules", ctx.Subtask(), m.Len()))
	},
}

func buildBroadcastJob(env *Environment, events []bcEvent, rules []bcRule) Stream[string] {
	ks := KeyBy(FromSlice(env, events), func(e bcEvent) string { return e.User })
	bs := Broadcast(FromSlice(env, rules).Parallelism(1), rulesDesc)
	return KeyedBroadcastProcess(ConnectBroadcast(ks, bs), bcFunc).UID("rules-uid")
}

// TestKeyedBroadcastProcessEveryInstance runs the broadcast pattern at
// parallelism 1 and 3: every instance receives every broadcast record in
// order (so all end with the same rules), and keyed records reach the
// key's instance with its state.
func TestKeyedBroadcastProcessEveryInstance(t *testing.T) {
	rules := []bcRule{{"a", 1}, {"b", 2}, {"a", 0}, {"c", 3}}
	events := []bcEvent{{"u1", 1}, {"u2", 2}, {"u1", 3}, {"u3", 4}, {"u1", 5}}
	for _, p := range []int{1, 3} {
		t.Run(fmt.Sprint("parallelism ", p), func(t *testing.T) {
			env := NewEnvironment(Options{Parallelism: p})
			var c collector[string]
			ForEach(buildBroadcastJob(env, events, rules), c.add)
			if err := env.Execute("t"); err != nil {
				t.Fatal(err)
			}
			got := c.sorted(func(a, b string) bool { return a < b })
			var bc []string
			last := map[string]int{}
			for _, l := range got {
				if strings.HasPrefix(l, "subtask") {
					bc = append(bc, l)
				}
				if strings.HasPrefix(l, "event") {
					var u string
					var n int
					if _, err := fmt.Sscanf(l, "event %s #%d", &u, &n); err != nil {
						t.Fatal(err)
					}
					last[u] = max(last[u], n)
				}
			}
			var want []string
			for s := range p {
				for _, n := range []int{1, 2, 1, 2} {
					want = append(want, fmt.Sprintf("subtask %d has %d rules", s, n))
				}
			}
			slices.Sort(want)
			if !slices.Equal(bc, want) {
				t.Fatalf("broadcast side %v, want %v", bc, want)
			}
			if fmt.Sprint(last) != "map[u1:3 u2:1 u3:1]" {
				t.Fatalf("events per user %v", last)
			}
		})
	}
}

// TestBroadcastStateRestoresToEveryInstance snapshots the broadcast
// operator's subtasks after rule updates, then restores it at other
// parallelisms with the handles the checkpoint coordinator hands out:
// every new instance holds all the rules (and keyed state moved with its
// key groups). A savepoint is self-contained: every file in its folder,
// restored after the job's checkpoints are gone.
func TestBroadcastStateRestoresToEveryInstance(t *testing.T) {
	cases := []struct {
		backend    string
		oldP, newP int
		savepoint  bool
	}{
		{"hashmap", 2, 5, false},
		{"hashmap", 3, 1, false},
		{"pebble", 3, 2, false},
		{"hashmap", 2, 3, true},
		{"pebble", 3, 2, true},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s %d to %d savepoint %v", tc.backend, tc.oldP, tc.newP, tc.savepoint), func(t *testing.T) {
			dir := t.TempDir()
			cp := runtime.CheckpointMeta{ID: 1}
			if tc.savepoint {
				cp.Savepoint = filepath.Join(t.TempDir(), "savepoint-1")
			}
			cs := &runtime.CheckpointSettings{Dir: dir, Backend: tc.backend, LocalDir: t.TempDir(), Storage: dirStorage{}}
			m := &jobmanager.CheckpointMetadata{ID: 1, MaxParallelism: 128}
			old := openBroadcastOperator(t, tc.oldP, cs, nil)
			op := jobmanager.OperatorState{Vertex: old.vertex, Parallelism: tc.oldP}
			for s, inst := range old.insts {
				for _, r := range []bcRule{{"a", 1}, {"b", 2}, {"a", 0}, {"c", 3}, {"d", 4}} {
					inst.push2(t, r)
				}
				inst.push1(t, bcEvent{User: userOf(t, s, tc.oldP, "u")})
				st := jobmanager.SubtaskState{Subtask: s}
				for _, h := range inst.snapshot(t, cp) {
					if tc.savepoint && !strings.HasPrefix(h.Path, cp.Savepoint+"/") {
						t.Errorf("savepoint handle %s outside the savepoint's folder %s", h.Path, cp.Savepoint)
					}
					st.Handles = append(st.Handles, jobmanager.StateHandle{Operator: h.Operator, Path: h.Path, Size: h.Size,
						KeyGroups: jobmanager.KeyGroupRange{Start: h.KeyGroupStart, End: h.KeyGroupEnd}, Shared: h.Shared})
				}
				op.Subtasks = append(op.Subtasks, st)
			}
			m.Operators = append(m.Operators, op)
			old.close(t)
			if tc.savepoint { // the job's checkpoints went with the job
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
			}

			restored := openBroadcastOperator(t, tc.newP, cs, m)
			defer restored.close(t)
			for s, inst := range restored.insts {
				inst.out = nil
				u := userOf(t, s, tc.newP, "fresh")
				inst.push1(t, bcEvent{User: u})
				if want := "event " + u + " #1 sees b=2,c=3,d=4"; len(inst.out) != 1 || inst.out[0] != want {
					t.Fatalf("new subtask %d: %v, want %q", s, inst.out, want)
				}
			}
			// The old users' counts moved with their key groups.
			for s := range tc.oldP {
				u := userOf(t, s, tc.oldP, "u")
				inst := restored.insts[runtime.SubtaskForKeyGroup(runtime.KeyGroup(keyHash(t, u), 128), 128, tc.newP)]
				inst.out = nil
				inst.push1(t, bcEvent{User: u})
				if want := fmt.Sprintf("event %s #2 sees b=2,c=3,d=4", u); len(inst.out) != 1 || inst.out[0] != want {
					t.Fatalf("user %s after the restore: %v, want %q", u, inst.out, want)
				}
			}
		})
	}
}

// userOf is a user whose key group subtask s of p owns.
func userOf(t *testing.T, s, p int, prefix string) string {
	for k := 0; ; k++ {
		u := fmt.Sprint(prefix, k)
		if runtime.SubtaskForKeyGroup(runtime.KeyGroup(keyHash(t, u), 128), 128, p) == s {
			return u
		}
	}
}

func keyHash(t *testing.T, u string) uint64 {
	h, err := runtime.KeyHasher[string](nil)
	if err != nil {
		t.Fatal(err)
	}
	return h(u)
}

// bcOperator is the broadcast operator of a test job, opened for every
// subtask outside any task: records are pushed in by hand.
type bcOperator struct {
	vertex int
	insts  []*bcInstance
}

type bcInstance struct {
	op  runtime.Operator
	out []string
	ev  runtime.Codec[bcEvent]
	rc  runtime.Codec[bcRule]
}

func openBroadcastOperator(t *testing.T, p int, cs *runtime.CheckpointSettings, from *jobmanager.CheckpointMetadata) *bcOperator {
	t.Helper()
	env := NewEnvironment(Options{Parallelism: p})
	buildBroadcastJob(env, nil, nil).Discard()
	prog, err := env.Program("t")
	if err != nil {
		t.Fatal(err)
	}
	g := prog.Graph()
	node := -1
	for _, o := range g.Operators {
		if o.Node.Kind == "broadcastprocess" {
			node = o.Node.Index
		}
	}
	f := prog.Factory(node)
	gop := g.Operators[node]
	res := &bcOperator{vertex: gop.Vertex}
	for s := range p {
		inst := &bcInstance{ev: codecFor[bcEvent](env, "test"), rc: codecFor[bcRule](env, "test")}
		out, err := f.NewOutput(runtime.Outputs{Chained: []any{func(v string) { inst.out = append(inst.out, v) }}})
		if err != nil {
			t.Fatal(err)
		}
		oc := runtime.OperatorContext{Job: "j", Operator: gop, Subtask: s, Parallelism: p, MaxParallelism: g.MaxParallelism,
			Vertex: gop.Vertex, Checkpointing: cs}
		if from != nil {
			r := &runtime.OperatorRestore{Checkpoint: from.ID}
			lo, hi := (s*128+p-1)/p, ((s+1)*128-1)/p+1
			for _, h := range from.RestoreHandles(gop.Vertex, s, jobmanager.KeyGroupRange{Start: lo, End: hi}) {
				r.Handles = append(r.Handles, runtime.StateHandle{Operator: h.Operator, Path: h.Path, Size: h.Size,
					KeyGroupStart: h.KeyGroups.Start, KeyGroupEnd: h.KeyGroups.End, Shared: h.Shared})
			}
			oc.Restore = r
		}
		if inst.op, err = f.Open(oc, out); err != nil {
			t.Fatal(err)
		}
		res.insts = append(res.insts, inst)
	}
	return res
}

func (o *bcOperator) close(t *testing.T) {
	for _, i := range o.insts {
		if err := i.op.Close(); err != nil {
			t.Error(err)
		}
	}
}

func (i *bcInstance) push1(t *testing.T, e bcEvent) {
	t.Helper()
	if err := i.op.PushRecord(i.ev.Append(nil, e)); err != nil {
		t.Fatal(err)
	}
}

func (i *bcInstance) push2(t *testing.T, r bcRule) {
	t.Helper()
	if err := i.op.(runtime.TwoInputOperator).PushRecord2(i.rc.Append(nil, r)); err != nil {
		t.Fatal(err)
	}
}

func (i *bcInstance) snapshot(t *testing.T, cp runtime.CheckpointMeta) []runtime.StateHandle {
	t.Helper()
	snap, err := i.op.(runtime.Checkpointer).SnapshotState(context.Background(), cp)
	if err != nil {
		t.Fatal(err)
	}
	hs := snap.Handles
	if snap.Upload != nil {
		up, err := snap.Upload(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, up...)
	}
	for k := range hs {
		if hs[k].Operator == "" {
			hs[k].Operator = "rules-uid"
		}
	}
	return hs
}

package job

import (
	"cmp"
	"math"
	"slices"
	"sort"
)

// The deterministic core of the rules job, free of any stream type: rule
// versions (the broadcast state) and one user's events (the keyed state),
// and which firings an evaluation emits.
//
// Semantics. The rule in force for a rule id at event time t is the
// version with the greatest validFrom ≤ t, whatever the order of the rule
// lines; among lines with equal validFrom the later line in the file wins
// (it replaces the earlier one). The job evaluates no event before every
// rule line has arrived, so a line read after one with a larger validFrom
// still applies from its own validFrom. A version with count 0 is a
// deletion: no rule is in force. Rule (X, N, W) fires for user u at time t when u has an event of
// type X at t and at least N events of type X with time in (t − W, t];
// two events of u of type X at the same t give one firing per rule.

// AddVersion returns vs (sorted by ValidFrom) with r in place: a version
// with the same ValidFrom is replaced.
func AddVersion(vs []Rule, r Rule) []Rule {
	i := sort.Search(len(vs), func(i int) bool { return vs[i].ValidFrom >= r.ValidFrom })
	if i < len(vs) && vs[i].ValidFrom == r.ValidFrom {
		vs[i] = r
		return vs
	}
	return slices.Insert(vs, i, r)
}

// InForce returns the version of vs in force at t; ok is false when none
// is, or when it is a deletion.
func InForce(vs []Rule, t int64) (r Rule, ok bool) {
	i := sort.Search(len(vs), func(i int) bool { return vs[i].ValidFrom > t })
	if i == 0 || vs[i-1].Count == 0 {
		return Rule{}, false
	}
	return vs[i-1], true
}

// Rules visits every rule id with its versions (the broadcast state).
type Rules func(yield func(id string, versions []Rule) bool)

// User is one user's events: their times per event type, sorted, with
// repeats, and how far they have been evaluated.
type User struct {
	Times map[string][]int64
	// Evaluated is the largest time at which the user's events were
	// evaluated (math.MinInt64: none yet): an event at or before it is
	// late for this user even when the operator's watermark is lower, as
	// it is after a restore, since the watermark is not part of a
	// checkpoint and starts again from nothing.
	Evaluated int64
}

// NewUser returns a user without events, evaluated nowhere.
func NewUser() User { return User{Evaluated: math.MinInt64} }

// Add records an event of type typ at t.
func (u *User) Add(typ string, t int64) {
	if u.Times == nil {
		u.Times = map[string][]int64{}
	}
	ts := u.Times[typ]
	i := sort.Search(len(ts), func(i int) bool { return ts[i] > t })
	u.Times[typ] = slices.Insert(ts, i, t)
}

// Count is the number of events of type typ with time in (lo, hi].
func (u *User) Count(typ string, lo, hi int64) int {
	ts := u.Times[typ]
	a := sort.Search(len(ts), func(i int) bool { return ts[i] > lo })
	b := sort.Search(len(ts), func(i int) bool { return ts[i] > hi })
	return b - a
}

// has reports whether there is an event of type typ at t.
func (u *User) has(typ string, t int64) bool { return u.Count(typ, t-1, t) > 0 }

// FiresAt returns the firings of user at time t: for every type with an
// event at t, each rule in force at t for that type whose count is
// reached — sorted by rule id.
func (u *User) FiresAt(user string, t int64, rules Rules) []Firing {
	var out []Firing
	rules(func(id string, vs []Rule) bool {
		r, ok := InForce(vs, t)
		if ok && u.has(r.Type, t) && int64(u.Count(r.Type, t-r.Within, t)) >= r.Count {
			out = append(out, Firing{User: user, Rule: id, Time: t})
		}
		return true
	})
	sortFirings(out)
	return out
}

// AddLate records an event of type typ at t that arrived after the
// watermark wm ≥ t passed it — after the firings at every time ≤ wm were
// evaluated — and returns the firings it adds at times ≤ wm: at t itself
// and at later evaluated times whose windows reach back to t. Counts only
// grow with events, so together the firings are those of every event
// present from the start: a late event changes when a firing is written,
// never which.
func (u *User) AddLate(user, typ string, t, wm int64, rules Rules) []Firing {
	hadGroup := u.has(typ, t)
	u.Add(typ, t)
	ts := u.Times[typ]
	var out []Firing
	rules(func(id string, vs []Rule) bool {
		// Every evaluated time t' in [t, wm] with an event of typ.
		i := sort.Search(len(ts), func(i int) bool { return ts[i] >= t })
		for ; i < len(ts) && ts[i] <= wm; i++ {
			at := ts[i]
			if i+1 < len(ts) && ts[i+1] == at {
				continue // one evaluation per time: the last of equal times
			}
			r, ok := InForce(vs, at)
			if !ok || r.Type != typ || t <= at-r.Within {
				continue // not this type, or the window misses t
			}
			after := int64(u.Count(typ, at-r.Within, at))
			existed := at != t || hadGroup
			if after >= r.Count && (!existed || after-1 < r.Count) {
				out = append(out, Firing{User: user, Rule: id, Time: at})
			}
		}
		return true
	})
	sortFirings(out)
	return out
}

func sortFirings(fs []Firing) {
	slices.SortFunc(fs, func(a, b Firing) int {
		if c := cmp.Compare(a.Time, b.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.Rule, b.Rule)
	})
}

// SliceRules is a Rules over a map, for tests and the reference.
func SliceRules(m map[string][]Rule) Rules {
	return func(yield func(string, []Rule) bool) {
		ids := make([]string, 0, len(m))
		for id := range m {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			if !yield(id, m[id]) {
				return
			}
		}
	}
}

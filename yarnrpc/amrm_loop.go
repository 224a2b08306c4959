package yarnrpc

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/floe-yarn/floe/yarnrpc/internal/pb"
	"google.golang.org/protobuf/proto"
)

// AnyResource is the resource name meaning "any node" ("*").
const AnyResource = "*"

// DefaultRack is Hadoop's rack for nodes without a topology script.
const DefaultRack = "/default-rack"

// ContainerRequest describes containers of one shape at one priority, as
// Java's AMRMClient.ContainerRequest.
type ContainerRequest struct {
	Priority   int32
	Capability Resource
	// Nodes are the preferred nodes by their scheduler name: the host, or
	// "host:port" (NodeID.String) when the RM runs with
	// yarn.scheduler.include-port-in-node-name=true. The scheduler needs a
	// rack-level ask for node-local allocation, so give each node's rack in
	// NodeRacks (same order; missing entries mean DefaultRack); the rack is
	// in NodeReport.Rack.
	Nodes     []string
	NodeRacks []string
	// Racks are preferred racks.
	Racks []string
	// Strict forbids the scheduler to place the containers anywhere but
	// Nodes/Racks (relax_locality=false on the inferred racks and on "*").
	Strict bool
	// NodeLabel is a node-label expression ("" = default partition).
	NodeLabel string
}

// AddRequest raises the outstanding totals for req by n containers: at each
// node, each rack and at "*". Totals fall again as containers are allocated
// (Allocate matches them by priority and capability) or with RemoveRequest.
// The change is sent with the next Allocate.
func (c *AMRMClient) AddRequest(req ContainerRequest, n int32) {
	c.adjust(req, n)
}

// RemoveRequest lowers the outstanding totals for req by n (not below 0).
func (c *AMRMClient) RemoveRequest(req ContainerRequest, n int32) {
	c.adjust(req, -n)
}

func (c *AMRMClient) adjust(req ContainerRequest, delta int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := map[string]bool{}
	add := func(name string, relax bool) {
		if seen[name] {
			return
		}
		seen[name] = true
		k := askKey{priority: req.Priority, name: name, cap: req.Capability}
		e := c.asks[k]
		if e == nil {
			e = &askEntry{}
			c.asks[k] = e
		}
		e.num = max(0, e.num+delta)
		e.relax, e.label = relax, req.NodeLabel
		c.changed[k] = true
	}
	for i, n := range req.Nodes {
		rack := DefaultRack
		if i < len(req.NodeRacks) && req.NodeRacks[i] != "" {
			rack = req.NodeRacks[i]
		}
		c.rackOf[n] = rack
		add(n, true)
	}
	for _, r := range req.Racks {
		add(r, true)
	}
	for _, n := range req.Nodes {
		add(c.rackOf[n], !req.Strict)
	}
	add(AnyResource, !req.Strict)
}

// Outstanding returns the current total at (priority, resource name,
// capability); resource name AnyResource gives the overall total.
func (c *AMRMClient) Outstanding(priority int32, name string, capability Resource) int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.asks[askKey{priority, name, capability}]; e != nil {
		return e.num
	}
	return 0
}

// Release gives a container back to the RM (sent with the next Allocate,
// and again after an RM restart until the container shows up completed).
func (c *AMRMClient) Release(id ContainerID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.releases[id] = true
	c.unsent[id] = true
}

// Blacklist asks the scheduler to place no more containers on the given
// nodes or racks (additions) or to allow them again (removals). Changes go
// with the next Allocate; the whole list is re-sent after an RM restart.
func (c *AMRMClient) Blacklist(additions, removals []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range additions {
		c.blacklist[n] = true
		c.blAdd[n] = true
		delete(c.blRemove, n)
	}
	for _, n := range removals {
		delete(c.blacklist, n)
		delete(c.blAdd, n)
		c.blRemove[n] = true
	}
}

// NMToken returns the newest NMToken for a node (needed to talk to its
// NodeManager).
func (c *AMRMClient) NMToken(node NodeID) (Token, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.nmTokens[node]
	return t.Clone(), ok
}

// AllocateResponse is one heartbeat's news.
type AllocateResponse struct {
	Allocated []Container
	Completed []ContainerStatus
	// Available is the headroom: what the application may still get.
	Available       Resource
	UpdatedNodes    []NodeReport
	NumClusterNodes int32
	// NMTokens are the tokens that arrived with this response (already
	// cached; NMToken returns them).
	NMTokens map[NodeID]Token
	// Reregistered is set when the RM had lost the registration (it
	// restarted) and the client registered again and re-sent all asks.
	Reregistered bool
	// AMRMTokenRolled is set when the RM sent a new AMRMToken; new
	// connections use it.
	AMRMTokenRolled bool
}

// Allocate is the heartbeat: it sends changed asks and new releases with
// the progress (0..1) and returns what the RM allocated and what completed.
// After ApplicationMasterNotRegistered (or the old AM_RESYNC command) it
// registers again and re-sends everything outstanding. An
// ApplicationAttemptNotFound error (errors.Is ErrAttemptNotFound) or
// ErrAMShutdown means the attempt is over. On a connection error nothing is
// lost: the next Allocate re-sends the same request (the RM answers a
// repeated response id with its cached reply).
func (c *AMRMClient) Allocate(ctx context.Context, progress float32) (AllocateResponse, error) {
	c.callMu.Lock()
	defer c.callMu.Unlock()
	var out AllocateResponse
	for attempt := 0; ; attempt++ {
		req, sentAsks, sentRel := c.buildAllocate(progress)
		resp := &pb.AllocateResponseProto{}
		err := c.call(ctx, "allocate", req, resp)
		if err == nil && resp.AMCommand != nil && resp.GetAMCommand() == pb.AMCommandProto_AM_SHUTDOWN {
			return out, fmt.Errorf("allocate: %w", ErrAMShutdown)
		}
		resync := errors.Is(err, ErrAMNotRegistered) ||
			(err == nil && resp.AMCommand != nil && resp.GetAMCommand() == pb.AMCommandProto_AM_RESYNC)
		if resync && attempt == 0 {
			c.log.Warn().Err(err).Msg("RM lost the registration (restart?); registering again and re-sending all asks")
			c.markResync()
			if _, err := c.register(ctx); err != nil {
				return out, fmt.Errorf("allocate: re-register: %w", err)
			}
			out.Reregistered = true
			continue
		}
		if err != nil {
			c.unsend(req, sentAsks, sentRel)
			return out, fmt.Errorf("allocate (response id %d): %w", req.GetResponseId(), err)
		}
		if resync {
			return out, fmt.Errorf("allocate: RM asked for a resync twice in a row")
		}
		c.absorb(resp, &out)
		return out, nil
	}
}

// buildAllocate snapshots what to send and marks it sent.
func (c *AMRMClient) buildAllocate(progress float32) (*pb.AllocateRequestProto, []askKey, []ContainerID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if math.IsNaN(float64(progress)) || progress < 0 {
		progress = 0
	} else if progress > 1 {
		progress = 1
	}
	req := &pb.AllocateRequestProto{ResponseId: proto.Int32(c.responseID), Progress: proto.Float32(progress)}
	var keys []askKey
	if c.fullResend {
		for k := range c.asks {
			keys = append(keys, k)
		}
		for id := range c.releases {
			c.unsent[id] = true
		}
		for n := range c.blacklist {
			c.blAdd[n] = true
		}
		c.fullResend = false
	} else {
		for k := range c.changed {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return lessAsk(keys[i], keys[j]) })
	for _, k := range keys {
		e := c.asks[k]
		r := &pb.ResourceRequestProto{
			Priority:      &pb.PriorityProto{Priority: proto.Int32(k.priority)},
			ResourceName:  proto.String(k.name),
			Capability:    k.cap.proto(),
			NumContainers: proto.Int32(e.num),
			RelaxLocality: proto.Bool(e.relax),
		}
		if e.label != "" {
			r.NodeLabelExpression = proto.String(e.label)
		}
		req.Ask = append(req.Ask, r)
		delete(c.changed, k)
	}
	var rel []ContainerID
	for id := range c.unsent {
		rel = append(rel, id)
		req.Release = append(req.Release, id.proto())
		delete(c.unsent, id)
	}
	if len(c.blAdd)+len(c.blRemove) > 0 {
		req.BlacklistRequest = &pb.ResourceBlacklistRequestProto{
			BlacklistAdditions: sortedKeys(c.blAdd),
			BlacklistRemovals:  sortedKeys(c.blRemove),
		}
		clear(c.blAdd)
		clear(c.blRemove)
	}
	return req, keys, rel
}

func lessAsk(a, b askKey) bool {
	if a.priority != b.priority {
		return a.priority < b.priority
	}
	if a.name != b.name {
		return a.name < b.name
	}
	if a.cap.MemoryMB != b.cap.MemoryMB {
		return a.cap.MemoryMB < b.cap.MemoryMB
	}
	return a.cap.VCores < b.cap.VCores
}

// unsend puts a failed request's asks, releases and blacklist changes back
// in the queue.
func (c *AMRMClient) unsend(req *pb.AllocateRequestProto, keys []askKey, rel []ContainerID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range req.GetBlacklistRequest().GetBlacklistAdditions() {
		if c.blacklist[n] && !c.blRemove[n] {
			c.blAdd[n] = true
		}
	}
	for _, n := range req.GetBlacklistRequest().GetBlacklistRemovals() {
		if !c.blacklist[n] && !c.blAdd[n] {
			c.blRemove[n] = true
		}
	}
	for _, k := range keys {
		if c.asks[k] != nil {
			c.changed[k] = true
		}
	}
	for _, id := range rel {
		if c.releases[id] {
			c.unsent[id] = true
		}
	}
}

func (c *AMRMClient) markResync() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fullResend = true
	c.registered = false
}

// absorb applies a successful allocate response to the client's state.
func (c *AMRMClient) absorb(resp *pb.AllocateResponseProto, out *AllocateResponse) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.responseID = resp.GetResponseId()
	if t := resp.GetAmRmToken(); t != nil {
		nt := TokenFromProto(t)
		c.token = nt
		if s, ok := c.c.(interface{ SetToken(*Token) }); ok {
			tc := nt.Clone()
			s.SetToken(&tc)
		}
		out.AMRMTokenRolled = true
		c.log.Info().Msg("RM rolled the AMRMToken; new connections use the new one")
	}
	for _, t := range resp.GetNmTokens() {
		if out.NMTokens == nil {
			out.NMTokens = map[NodeID]Token{}
		}
		n := nodeIDFromProto(t.GetNodeId())
		tok := TokenFromProto(t.GetToken())
		c.nmTokens[n] = tok
		out.NMTokens[n] = tok.Clone()
	}
	for _, p := range resp.GetAllocatedContainers() {
		ctr := containerFromProto(p)
		c.consumeAsk(ctr)
		out.Allocated = append(out.Allocated, ctr)
	}
	for _, p := range resp.GetCompletedContainerStatuses() {
		st := containerStatusFromProto(p)
		delete(c.releases, st.ID)
		delete(c.unsent, st.ID)
		out.Completed = append(out.Completed, st)
	}
	for _, p := range resp.GetUpdatedNodes() {
		out.UpdatedNodes = append(out.UpdatedNodes, nodeReportFromProto(p))
	}
	out.Available = resourceFromProto(resp.GetLimit())
	out.NumClusterNodes = resp.GetNumClusterNodes()
}

// consumeAsk lowers the local totals the RM lowered when it allocated ctr:
// "*", the container's node and its rack, for the ask at the container's
// priority whose capability fits (the RM may round the size up).
func (c *AMRMClient) consumeAsk(ctr Container) {
	var best *askKey
	for k, e := range c.asks {
		if k.name != AnyResource || k.priority != ctr.Priority || e.num <= 0 {
			continue
		}
		if k.cap.MemoryMB > ctr.Resource.MemoryMB || k.cap.VCores > ctr.Resource.VCores {
			continue
		}
		if best == nil || k.cap.MemoryMB > best.cap.MemoryMB ||
			(k.cap.MemoryMB == best.cap.MemoryMB && k.cap.VCores > best.cap.VCores) {
			kk := k
			best = &kk
		}
	}
	if best == nil {
		return
	}
	dec := func(name string) {
		if e := c.asks[askKey{best.priority, name, best.cap}]; e != nil && e.num > 0 {
			e.num--
		}
	}
	dec(AnyResource)
	for _, n := range []string{ctr.Node.Host, ctr.Node.String()} {
		dec(n)
		if r, ok := c.rackOf[n]; ok {
			dec(r)
			break
		}
	}
}

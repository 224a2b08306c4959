package yarnrpc

import (
	"context"
	"fmt"
	"sync"

	"github.com/floe-yarn/floe/yarnrpc/internal/pb"
	"google.golang.org/protobuf/proto"
)

// fakeCaller is a Caller whose behaviour is a function field. It records
// the methods called and the tokens set for new connections, and copies
// requests (so tests can inspect them after the caller mutates its own).
type fakeCaller struct {
	mu     sync.Mutex
	handle func(method string, req proto.Message, resp proto.Message) error
	calls  []string
	reqs   []proto.Message
	tokens []Token
	closed bool
}

func (f *fakeCaller) Call(ctx context.Context, method string, req, resp proto.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	f.calls = append(f.calls, method)
	f.reqs = append(f.reqs, proto.Clone(req))
	h := f.handle
	f.mu.Unlock()
	return h(method, req, resp)
}

func (f *fakeCaller) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

func (f *fakeCaller) SetToken(t *Token) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = append(f.tokens, t.Clone())
}

func (f *fakeCaller) methods() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// lastReq returns the last request of method.
func (f *fakeCaller) lastReq(method string) proto.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.calls) - 1; i >= 0; i-- {
		if f.calls[i] == method {
			return f.reqs[i]
		}
	}
	return nil
}

func remote(class, msg string) error { return &RemoteError{Class: class, Message: msg} }

const (
	classAMNotRegistered = "org.apache.hadoop.yarn.exceptions.ApplicationMasterNotRegisteredException"
	classAppNotFound     = "org.apache.hadoop.yarn.exceptions.ApplicationNotFoundException"
)

// fakeScheduler mimics ApplicationMasterService's bookkeeping: the
// registration, the response-id handshake (with the cached-reply rule) and
// an RM restart that forgets the registration. Tests queue what the next
// allocate responses carry.
type fakeScheduler struct {
	mu         sync.Mutex
	registered bool
	lastID     int32
	lastResp   *pb.AllocateResponseProto
	next       []*pb.AllocateResponseProto // extra content per allocate
	registers  int
	finishes   int
	unregAfter int // finish calls needed before isUnregistered
}

func (s *fakeScheduler) restart() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.registered, s.lastResp = false, nil
}

func (s *fakeScheduler) queue(r *pb.AllocateResponseProto) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next = append(s.next, r)
}

func (s *fakeScheduler) handle(method string, req, resp proto.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch method {
	case "registerApplicationMaster":
		s.registers++
		s.registered, s.lastID, s.lastResp = true, 0, nil
		resp.(*pb.RegisterApplicationMasterResponseProto).MaximumCapability = Resource{MemoryMB: 4096, VCores: 8}.proto()
		return nil
	case "allocate":
		if !s.registered {
			return remote(classAMNotRegistered, "AM is not registered for known application attempt: appattempt_1_0001_000001 or RM had restarted after AM registered. AM should re-register.")
		}
		in := req.(*pb.AllocateRequestProto)
		if s.lastResp != nil && in.GetResponseId() == s.lastID-1 {
			proto.Merge(resp, s.lastResp)
			return nil
		}
		if in.GetResponseId() != s.lastID {
			return remote("org.apache.hadoop.yarn.exceptions.InvalidApplicationMasterRequestException",
				fmt.Sprintf("Invalid responseId in AllocateRequest from application attempt: appattempt_1_0001_000001, expect responseId to be %d, but get %d", s.lastID, in.GetResponseId()))
		}
		out := resp.(*pb.AllocateResponseProto)
		if len(s.next) > 0 {
			proto.Merge(out, s.next[0])
			s.next = s.next[1:]
		}
		s.lastID = (s.lastID + 1) & 0x7FFFFFFF
		out.ResponseId = proto.Int32(s.lastID)
		s.lastResp = proto.Clone(out).(*pb.AllocateResponseProto)
		return nil
	case "finishApplicationMaster":
		if !s.registered {
			return remote(classAMNotRegistered, "Application Master is trying to unregister before registering for: application_1_0001")
		}
		s.finishes++
		resp.(*pb.FinishApplicationMasterResponseProto).IsUnregistered = proto.Bool(s.finishes > s.unregAfter)
		return nil
	}
	return remote("org.apache.hadoop.ipc.RpcNoSuchMethodException", "Unknown method "+method)
}

package yarnrpc

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/floe-yarn/floe/yarnrpc/internal/pb"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"
)

// NMClientOptions configures an NMClient.
type NMClientOptions struct {
	// Tokens returns the NMToken for a node; usually AMRMClient.NMToken.
	Tokens func(NodeID) (Token, bool)
	// DialTimeout bounds connecting plus the handshake (Conn default).
	DialTimeout time.Duration
	// CallTimeout bounds each call when ctx has no earlier deadline
	// (default DefaultCallTimeout).
	CallTimeout time.Duration
	Logger      zerolog.Logger
	// Dial replaces dialing a NodeManager (tests).
	Dial func(node NodeID, t Token) (Caller, error)
}

// NMClient speaks ContainerManagementProtocol to NodeManagers: start, stop
// and query containers. It keeps one connection per NodeManager,
// authenticated with that node's NMToken (the user is the attempt id). It is
// safe for concurrent use.
type NMClient struct {
	opts        NMClientOptions
	callTimeout time.Duration
	log         zerolog.Logger

	mu     sync.Mutex
	conns  map[NodeID]*nmConn
	closed bool
}

type nmConn struct {
	c     Caller
	token Token
}

// NewNMClient validates opts and returns a client; connections are made on
// first use per node.
func NewNMClient(ctx context.Context, opts NMClientOptions) (*NMClient, error) {
	_ = ctx
	if opts.Tokens == nil {
		return nil, errors.New("nmclient: NMClientOptions.Tokens is nil")
	}
	c := &NMClient{opts: opts, callTimeout: opts.CallTimeout, conns: map[NodeID]*nmConn{},
		log: opts.Logger.With().Str("component", "nmclient").Logger()}
	if c.callTimeout <= 0 {
		c.callTimeout = DefaultCallTimeout
	}
	return c, nil
}

// ContainerError is a per-container failure a NodeManager reported in
// failed_requests. It wraps a *RemoteError with the NM's Java exception
// class and message, so errors.As and the sentinels work.
type ContainerError struct {
	Container ContainerID
	Node      NodeID
	Op        string
	Remote    *RemoteError
}

func (e *ContainerError) Error() string {
	return fmt.Sprintf("%s %s on %s: %v", e.Op, e.Container, e.Node, e.Remote)
}

func (e *ContainerError) Unwrap() error { return e.Remote }

// conn returns the node's connection, dialing it (or handing it a newer
// NMToken for future reconnects) as needed.
func (c *NMClient) conn(node NodeID) (Caller, error) {
	tok, ok := c.opts.Tokens(node)
	if !ok {
		return nil, fmt.Errorf("nmclient: no NMToken for node %s", node)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if nc := c.conns[node]; nc != nil {
		if string(nc.token.Identifier) != string(tok.Identifier) || string(nc.token.Password) != string(tok.Password) {
			if s, ok := nc.c.(interface{ SetToken(*Token) }); ok {
				t := tok.Clone()
				s.SetToken(&t)
			}
			nc.token = tok
		}
		return nc.c, nil
	}
	var (
		cl  Caller
		err error
	)
	if c.opts.Dial != nil {
		cl, err = c.opts.Dial(node, tok.Clone())
	} else {
		t := tok.Clone()
		cl, err = NewConn(ConnOptions{
			Addr:            node.String(),
			Protocol:        ProtocolContainerManagement,
			ProtocolVersion: yarnProtocolVersion,
			Auth:            AuthToken,
			Token:           &t,
			DialTimeout:     c.opts.DialTimeout,
			Logger:          c.opts.Logger,
		})
	}
	if err != nil {
		return nil, fmt.Errorf("nmclient: connect %s: %w", node, err)
	}
	c.conns[node] = &nmConn{c: cl, token: tok}
	return cl, nil
}

func (c *NMClient) call(ctx context.Context, node NodeID, method string, req, resp proto.Message) error {
	cl, err := c.conn(node)
	if err != nil {
		return err
	}
	ctx, cancel := withCallTimeout(ctx, c.callTimeout)
	defer cancel()
	return cl.Call(ctx, method, req, resp)
}

// StartContainer launches clc in an allocated container on its node. A
// refusal by the NM (bad token, container already started, ...) is a
// *ContainerError with the NM's exception.
func (c *NMClient) StartContainer(ctx context.Context, ctr Container, clc ContainerLaunchContext) error {
	p, err := clc.proto()
	if err != nil {
		return fmt.Errorf("start container %s: %w", ctr.ID, err)
	}
	req := &pb.StartContainersRequestProto{StartContainerRequest: []*pb.StartContainerRequestProto{{
		ContainerLaunchContext: p,
		ContainerToken:         ctr.Token.Proto(),
	}}}
	resp := &pb.StartContainersResponseProto{}
	if err := c.call(ctx, ctr.Node, "startContainers", req, resp); err != nil {
		return fmt.Errorf("start container %s on %s: %w", ctr.ID, ctr.Node, err)
	}
	if err := firstFailure("start container", ctr.Node, resp.GetFailedRequests()); err != nil {
		return err
	}
	for _, id := range resp.GetSucceededRequests() {
		if containerIDFromProto(id) == ctr.ID {
			return nil
		}
	}
	return fmt.Errorf("start container %s on %s: NM reported neither success nor failure", ctr.ID, ctr.Node)
}

// StopContainer stops a container on node.
func (c *NMClient) StopContainer(ctx context.Context, node NodeID, id ContainerID) error {
	req := &pb.StopContainersRequestProto{ContainerId: []*pb.ContainerIdProto{id.proto()}}
	resp := &pb.StopContainersResponseProto{}
	if err := c.call(ctx, node, "stopContainers", req, resp); err != nil {
		return fmt.Errorf("stop container %s on %s: %w", id, node, err)
	}
	return firstFailure("stop container", node, resp.GetFailedRequests())
}

// ContainerStatus asks node for a container's status.
func (c *NMClient) ContainerStatus(ctx context.Context, node NodeID, id ContainerID) (ContainerStatus, error) {
	req := &pb.GetContainerStatusesRequestProto{ContainerId: []*pb.ContainerIdProto{id.proto()}}
	resp := &pb.GetContainerStatusesResponseProto{}
	if err := c.call(ctx, node, "getContainerStatuses", req, resp); err != nil {
		return ContainerStatus{}, fmt.Errorf("container status %s on %s: %w", id, node, err)
	}
	if err := firstFailure("container status", node, resp.GetFailedRequests()); err != nil {
		return ContainerStatus{}, err
	}
	for _, s := range resp.GetStatus() {
		if st := containerStatusFromProto(s); st.ID == id {
			return st, nil
		}
	}
	return ContainerStatus{}, fmt.Errorf("container status %s on %s: not in the NM's answer", id, node)
}

// firstFailure converts the first failed_requests entry into an error.
func firstFailure(op string, node NodeID, failed []*pb.ContainerExceptionMapProto) error {
	if len(failed) == 0 {
		return nil
	}
	f := failed[0]
	ex := f.GetException()
	return &ContainerError{
		Container: containerIDFromProto(f.GetContainerId()),
		Node:      node,
		Op:        op,
		Remote:    &RemoteError{Class: ex.GetClassName(), Message: ex.GetMessage()},
	}
}

// Close closes every NodeManager connection.
func (c *NMClient) Close() error {
	c.mu.Lock()
	conns := c.conns
	c.conns, c.closed = map[NodeID]*nmConn{}, true
	c.mu.Unlock()
	var errs []error
	for _, nc := range conns {
		if err := nc.c.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

package netio

import (
	"errors"
	"fmt"
)

// Sentinel errors, for errors.Is.
var (
	// ErrClosed reports use of a pool, partition, channel, gate, client or
	// server after Close or Release.
	ErrClosed = errors.New("netio: closed")
	// ErrPartitionNotFound reports a partition request that waited
	// RequestTimeout without the producer registering the partition.
	ErrPartitionNotFound = errors.New("netio: partition not found")
	// ErrProducerFailed reports that the producer failed its partition
	// (ResultPartition.Fail); the message travels with it.
	ErrProducerFailed = errors.New("netio: producer failed")
	// ErrPartitionReleased reports a partition released before its data was
	// consumed, or a subpartition whose consumer went away.
	ErrPartitionReleased = errors.New("netio: partition released")
	// ErrConnectionLost reports a data connection that broke before the
	// channel saw its end of partition.
	ErrConnectionLost = errors.New("netio: connection lost")
	// ErrAuthFailed reports a connection whose peer did not prove it holds
	// the application secret.
	ErrAuthFailed = errors.New("netio: authentication failed")
	// ErrProtocol reports a malformed or unexpected frame.
	ErrProtocol = errors.New("netio: protocol error")
	// ErrRecordTooLarge reports a record longer than the gate accepts.
	ErrRecordTooLarge = errors.New("netio: record too large")
)

// errorCode is the wire form of the sentinel an error frame maps to.
type errorCode byte

const (
	codeInternal errorCode = iota
	codePartitionNotFound
	codeProducerFailed
	codePartitionReleased
	codeAuthFailed
	codeProtocol
)

func codeOf(err error) errorCode {
	switch {
	case errors.Is(err, ErrPartitionNotFound):
		return codePartitionNotFound
	case errors.Is(err, ErrProducerFailed):
		return codeProducerFailed
	case errors.Is(err, ErrPartitionReleased):
		return codePartitionReleased
	case errors.Is(err, ErrAuthFailed):
		return codeAuthFailed
	case errors.Is(err, ErrProtocol):
		return codeProtocol
	}
	return codeInternal
}

// RemoteError is an error the producer's TaskManager reported in an error
// frame. errors.Is matches it against the sentinel its code stands for.
type RemoteError struct {
	Addr    string // the producer's data server
	Message string
	code    errorCode
}

func (e *RemoteError) Error() string {
	return fmt.Sprintf("netio: remote %s: %s", e.Addr, e.Message)
}

// Unwrap returns the sentinel the remote error maps to, or nil.
func (e *RemoteError) Unwrap() error {
	switch e.code {
	case codePartitionNotFound:
		return ErrPartitionNotFound
	case codeProducerFailed:
		return ErrProducerFailed
	case codePartitionReleased:
		return ErrPartitionReleased
	case codeAuthFailed:
		return ErrAuthFailed
	case codeProtocol:
		return ErrProtocol
	}
	return nil
}

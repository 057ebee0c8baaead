package cluster

import "errors"

// Errors of the cluster layer.
var (
	// ErrStaleToken: a fencing token is not the lease's current one (the
	// caller lost the lease, or the lease moved to another node).
	ErrStaleToken = errors.New("cluster: stale fencing token")
	// ErrUnauthorized: an internal call is unsigned, forged, outside the
	// replay window or replayed.
	ErrUnauthorized = errors.New("cluster: internal call not authenticated")
	// ErrForgedNode: a node registration whose signature does not verify.
	ErrForgedNode = errors.New("cluster: node registration with a bad signature")
	// ErrNoOwner: the room's owner is not a live node and the room could not
	// be placed anew.
	ErrNoOwner = errors.New("cluster: the room's owner is unreachable")
	// ErrOwnerFailed: the owner answered an internal call with an error
	// this layer does not know.
	ErrOwnerFailed = errors.New("cluster: the room's owner failed the call")
	// ErrNodeClosed: this node is leaving the cluster and takes no room.
	ErrNodeClosed = errors.New("cluster: this node is shutting down")
	// ErrBadConfig: the cluster configuration is unusable.
	ErrBadConfig = errors.New("cluster: bad configuration")
)

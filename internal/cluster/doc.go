// Package cluster turns single rtcengine nodes into a cluster coordinated
// through Redis (docs/cluster.md). It decorates the single-node parts rather
// than replacing them: a Router in front of the signaling edge's enter, a
// RoomAdmin around the REST edge's room actions, and an Observer beside the
// room service's other observers. Without Redis none of it exists and a node
// runs exactly as before.
//
// Nodes register themselves (signed with the cluster secret) with a TTL and
// heartbeat. The first enter of a room places it on the least-loaded node
// under a lease carrying a fencing token (a Redis INCR counter); the owner
// renews the lease while the room lives and deletes it when the room ends.
// Every later enter is redirected to the owner, and REST actions reach it
// through authenticated internal calls, so the room rules are enforced by the
// owner's unchanged room code.
package cluster

package proto

// CodeRedirect is the code of an enter response that sends the client to
// another node: in a cluster, the room lives on its owner node, and a node
// that does not own it answers the enter with this code and a Redirect. The
// client opens a new connection to Redirect.URL and enters again there
// (docs/protocol.md "Redirect", docs/cluster.md). Clients follow at most
// MaxRedirects in a row.
const CodeRedirect = 302

// MaxRedirects bounds the redirects a client follows for one enter.
const MaxRedirects = 3

// Redirect is the data of an enter response with CodeRedirect.
type Redirect struct {
	URL  string `json:"url"`            // the owner's signaling WebSocket URL
	Node string `json:"node,omitempty"` // the owner's node id, for logs
}

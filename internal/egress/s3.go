package egress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"os"
	"path"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Vendors of StorageParams.CloudStorage (trtc-reference §7.6).
const (
	VendorCOS = 0 // Tencent Cloud COS (its S3-compatible endpoint)
	VendorS3  = 1 // Amazon S3
)

// CloudStorage is StorageParams.CloudStorage: the bucket recordings are
// uploaded to. EndpointURL names any S3-compatible server; without it the
// vendor's public endpoint for Region is used.
type CloudStorage struct {
	Vendor      int      `json:"vendor"`
	Region      string   `json:"region"`
	Bucket      string   `json:"bucket"`
	AccessKey   string   `json:"accessKey"`
	SecretKey   string   `json:"secretKey"`
	Prefix      []string `json:"fileNamePrefix,omitempty"`
	EndpointURL string   `json:"endpointUrl,omitempty"`
}

// ObjectKey is where a task's file goes in the bucket:
// <prefix…>/<TaskId>/<file> (§7.6).
func (c CloudStorage) ObjectKey(taskID, file string) string {
	parts := append(append([]string(nil), c.Prefix...), taskID, file)
	return path.Join(parts...)
}

// endpoint returns the host and whether to use TLS.
func (c CloudStorage) endpoint() (host string, secure bool, err error) {
	if c.EndpointURL == "" {
		if c.Vendor == VendorCOS {
			return "cos." + c.Region + ".myqcloud.com", true, nil
		}
		return "s3." + c.Region + ".amazonaws.com", true, nil
	}
	u, err := url.Parse(c.EndpointURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false, fmt.Errorf("%w: EndpointUrl %q is not an http(s) URL", ErrBadStorage, c.EndpointURL)
	}
	return u.Host, u.Scheme == "https", nil
}

// ObjectStore is where an uploader puts files.
type ObjectStore interface {
	// Put uploads the local file at path as key.
	Put(ctx context.Context, key, path string) error
}

// s3Store is an ObjectStore on an S3-compatible server, signed with
// SigV4 by minio-go.
type s3Store struct {
	c      *minio.Client
	bucket string
}

// NewS3Store returns the ObjectStore of c.
func NewS3Store(c CloudStorage) (ObjectStore, error) {
	host, secure, err := c.endpoint()
	if err != nil {
		return nil, err
	}
	cl, err := minio.New(host, &minio.Options{
		Creds:  credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""),
		Secure: secure,
		Region: c.Region,
		// Path-style requests work with every S3-compatible server and
		// need no wildcard DNS.
		BucketLookup: minio.BucketLookupPath,
		// The uploader retries with its own backoff and reports outages;
		// the client's ten quick retries would only hide them.
		MaxRetries: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadStorage, err)
	}
	return &s3Store{c: cl, bucket: c.Bucket}, nil
}

func (s *s3Store) Put(ctx context.Context, key, file string) error {
	ct := mime.TypeByExtension(path.Ext(file))
	switch path.Ext(file) {
	case ".m3u8":
		ct = "application/vnd.apple.mpegurl"
	case ".ts":
		ct = "video/mp2t"
	case ".m4s":
		ct = "video/iso.segment"
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	opts := minio.PutObjectOptions{ContentType: ct}
	st, err := os.Stat(file)
	switch {
	case err != nil:
		return err
	case st.Size() == 0:
		// An empty file (a crash before ffmpeg wrote anything): minio-go's
		// streaming signature (used over plain http) sends a zero-length
		// body without a Content-Length, which S3 servers refuse
		// (MissingContentLength); an unsigned payload sends it plainly.
		opts.DisableContentSha256 = true
		_, err = s.c.PutObject(ctx, s.bucket, key, bytes.NewReader(nil), 0, opts)
	default:
		_, err = s.c.FPutObject(ctx, s.bucket, key, file, opts)
	}
	if err != nil {
		var resp minio.ErrorResponse
		if errors.As(err, &resp) && resp.Code != "" {
			return fmt.Errorf("%s: %s", resp.Code, strings.TrimSpace(resp.Message))
		}
		return err
	}
	return nil
}

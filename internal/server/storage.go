package server

import (
	"github.com/rtcengine/rtcengine/internal/api"
	"github.com/rtcengine/rtcengine/internal/egress"
)

// cloudStorage maps a validated StorageParams.CloudStorage to the
// recorder's (docs/recording.md, "Cloud storage").
func cloudStorage(c *api.CloudStorage) *egress.CloudStorage {
	if c == nil {
		return nil
	}
	return &egress.CloudStorage{
		Vendor: int(c.Vendor), Region: c.Region, Bucket: c.Bucket, AccessKey: c.AccessKey, SecretKey: c.SecretKey,
		Prefix: append([]string(nil), c.FileNamePrefix...), EndpointURL: c.EndpointURL,
	}
}

package api

import (
	"net/url"
	"reflect"
)

// StorageParams.CloudStorage of CreateCloudRecording (trtc-reference §7.6).

// Codes of CloudStorage (§7.6, §7.7).
const (
	CodeMissingStorageParams = "MissingParameter.StorageParams"
	CodeMissingCloudStorage  = "MissingParameter.CloudStorage"
	CodeMissingVendor        = "MissingParameter.Vendor"
	CodeMissingRegion        = "MissingParameter.Region"
	CodeMissingBucket        = "MissingParameter.Bucket"
	CodeMissingAccessKey     = "MissingParameter.AccessKey"
	CodeMissingSecretKey     = "MissingParameter.SecretKey"
)

// Limits of CloudStorage.
const (
	MaxStorageRegionLen   = 64
	MinBucketLen          = 3
	MaxBucketLen          = 63
	MaxStorageKeyLen      = 256
	MaxFileNamePrefixes   = 10
	MaxFileNamePrefixLen  = 64
	MaxStorageEndpointLen = 512
)

// CloudStorage is a validated StorageParams.CloudStorage.
type CloudStorage struct {
	Vendor         uint64
	Region         string
	Bucket         string
	AccessKey      string
	SecretKey      string
	FileNamePrefix []string
	EndpointURL    string
}

// cloudStorage is CloudStorage as the request carries it.
type cloudStorage struct {
	Vendor         *uint64  `json:"Vendor"`
	Region         *string  `json:"Region"`
	Bucket         *string  `json:"Bucket"`
	AccessKey      *string  `json:"AccessKey"`
	SecretKey      *string  `json:"SecretKey"`
	FileNamePrefix []string `json:"FileNamePrefix"`
	EndpointUrl    *string  `json:"EndpointUrl"`
}

type plainCloudStorage cloudStorage

var cloudStorageFields = jsonFields(reflect.TypeFor[plainCloudStorage]())

func (c *cloudStorage) UnmarshalJSON(b []byte) error {
	return decodeStrict(b, (*plainCloudStorage)(c), cloudStorageFields)
}

// validate checks CloudStorage: the fields §7.6 requires, the vendor, S3
// naming rules for the bucket, the prefix's characters and an http(s)
// endpoint.
func (c *cloudStorage) validate() (*CloudStorage, error) {
	switch {
	case c.Vendor == nil:
		return nil, Errorf(CodeMissingVendor, "The required parameter StorageParams.CloudStorage.Vendor is missing.")
	case c.Region == nil:
		return nil, Errorf(CodeMissingRegion, "The required parameter StorageParams.CloudStorage.Region is missing.")
	case c.Bucket == nil:
		return nil, Errorf(CodeMissingBucket, "The required parameter StorageParams.CloudStorage.Bucket is missing.")
	case c.AccessKey == nil:
		return nil, Errorf(CodeMissingAccessKey, "The required parameter StorageParams.CloudStorage.AccessKey is missing.")
	case c.SecretKey == nil:
		return nil, Errorf(CodeMissingSecretKey, "The required parameter StorageParams.CloudStorage.SecretKey is missing.")
	}
	if err := outOfRange("StorageParams.CloudStorage.Vendor", *c.Vendor, 0, 1); err != nil {
		return nil, err
	}
	if r := *c.Region; r == "" || len(r) > MaxStorageRegionLen || !onlyChars(r, "abcdefghijklmnopqrstuvwxyz0123456789-") {
		return nil, Errorf(CodeInvalidParameter, "StorageParams.CloudStorage.Region %q must be 1 to %d characters of a-z, 0-9 and -.", clip(r), MaxStorageRegionLen)
	}
	if !validBucket(*c.Bucket) {
		return nil, Errorf(CodeInvalidParameter, "StorageParams.CloudStorage.Bucket %q is not a valid bucket name (%d to %d characters of a-z, 0-9, . and -, starting and ending with a letter or digit).", clip(*c.Bucket), MinBucketLen, MaxBucketLen)
	}
	for _, k := range []struct{ name, v string }{{"AccessKey", *c.AccessKey}, {"SecretKey", *c.SecretKey}} {
		if k.v == "" || len(k.v) > MaxStorageKeyLen || !printableASCII(k.v) {
			return nil, Errorf(CodeInvalidParameter, "StorageParams.CloudStorage.%s must be 1 to %d printable ASCII characters.", k.name, MaxStorageKeyLen)
		}
	}
	if len(c.FileNamePrefix) > MaxFileNamePrefixes {
		return nil, Errorf(CodeInvalidParameter, "StorageParams.CloudStorage.FileNamePrefix holds %d entries, at most %d.", len(c.FileNamePrefix), MaxFileNamePrefixes)
	}
	for _, p := range c.FileNamePrefix {
		if p == "" || len(p) > MaxFileNamePrefixLen || !onlyChars(p, userIDChars) {
			return nil, Errorf(CodeInvalidParameter, "StorageParams.CloudStorage.FileNamePrefix entry %q must be 1 to %d characters of a-z, A-Z, 0-9, _ and -.", clip(p), MaxFileNamePrefixLen)
		}
	}
	out := &CloudStorage{Vendor: *c.Vendor, Region: *c.Region, Bucket: *c.Bucket, AccessKey: *c.AccessKey,
		SecretKey: *c.SecretKey, FileNamePrefix: c.FileNamePrefix}
	if c.EndpointUrl != nil && *c.EndpointUrl != "" {
		e := *c.EndpointUrl
		u, err := url.Parse(e)
		if err != nil || len(e) > MaxStorageEndpointLen || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return nil, Errorf(CodeInvalidParameter, "StorageParams.CloudStorage.EndpointUrl %q must be an http or https URL of at most %d characters with a host and no path, e.g. https://s3.example.com:9000.", clip(e), MaxStorageEndpointLen)
		}
		out.EndpointURL = u.Scheme + "://" + u.Host
	}
	return out, nil
}

const userIDChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"

func onlyChars(s, set string) bool {
	for i := 0; i < len(s); i++ {
		ok := false
		for j := 0; j < len(set); j++ {
			if s[i] == set[j] {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// validBucket applies S3's bucket naming rules (COS bucket names, such as
// "videos-1250000000", follow them too).
func validBucket(b string) bool {
	if len(b) < MinBucketLen || len(b) > MaxBucketLen || !onlyChars(b, "abcdefghijklmnopqrstuvwxyz0123456789.-") {
		return false
	}
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	if !alnum(b[0]) || !alnum(b[len(b)-1]) {
		return false
	}
	for i := 1; i < len(b); i++ {
		if b[i] == '.' && (b[i-1] == '.' || b[i-1] == '-') || b[i] == '-' && b[i-1] == '.' {
			return false
		}
	}
	return true
}

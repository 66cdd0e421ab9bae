package security

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/plugins"
)

// CapabilityHTTP is the manifest capability of http_get (granted as
// cap:http); each destination host needs a grant of "http" on net:HOST or
// net:HOST:PORT.
const CapabilityHTTP = "http"

// HTTPTimeout bounds one http_get (the call's deadline may end it sooner).
const HTTPTimeout = 10 * time.Second

// HTTPGet implements kernel.HTTPCapability. The URL's host (and port) must
// be granted to the agent (net:HOST or net:HOST:PORT, operation "http").
// The host is then resolved once, every resolved address is checked, and the
// connection goes to one of those addresses (the dialer verifies the address
// it actually connects to), so neither a Host header nor a second DNS answer
// can send the request elsewhere. Loopback, private, link-local and
// unspecified addresses are refused unless the grant names that IP literally
// or AllowPrivate is set. Redirects are not followed (the plugin sees the
// 3xx status). A refused destination is a permission error (the call
// traps); a failed request is status 0.
func (h *HostCaps) HTTPGet(ctx context.Context, agent kernel.AgentID, rawURL string) (int, []byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return 0, nil, denied(fmt.Errorf("%w: http_get: %q is not an http(s) URL without credentials", ErrPermissionDenied, rawURL))
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if err := h.M.CheckPermission(string(agent), KindNet+":"+host, OpHTTP); err != nil {
		if err2 := h.M.CheckPermission(string(agent), KindNet+":"+net.JoinHostPort(host, port), OpHTTP); err2 != nil {
			return 0, nil, denied(err)
		}
	}
	addrs, err := h.resolve(ctx, host)
	if err != nil {
		return 0, nil, nil // the request failed: no such host
	}
	literal, _ := netip.ParseAddr(host)
	for _, a := range addrs {
		if isInternal(a) && !h.AllowPrivate && a != literal.Unmap() {
			return 0, nil, denied(fmt.Errorf("%w: http_get: %s resolves to %s, an internal address", ErrPermissionDenied, host, a))
		}
	}
	dialer := &net.Dialer{Timeout: HTTPTimeout}
	transport := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var last error
			for _, a := range addrs {
				c, err := dialer.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
				if err != nil {
					last = err
					continue
				}
				remote, _ := netip.ParseAddrPort(c.RemoteAddr().String())
				if remote.Addr().Unmap() != a {
					c.Close()
					return nil, fmt.Errorf("connected to %s, not the checked %s", remote.Addr(), a)
				}
				return c, nil
			}
			return nil, last
		},
		DisableKeepAlives: true,
	}
	client := &http.Client{Transport: transport, Timeout: HTTPTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, nil, nil
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, plugins.MaxHTTPBody))
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, nil, nil
	}
	return resp.StatusCode, body, nil
}

func (h *HostCaps) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a.Unmap()}, nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return nil, fmt.Errorf("resolve %s: %v", host, err)
	}
	for i := range ips {
		ips[i] = ips[i].Unmap()
	}
	return ips, nil
}

func isInternal(a netip.Addr) bool {
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsUnspecified() || a.IsMulticast() || a.IsInterfaceLocalMulticast()
}

package sip

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// selfSigned writes a certificate and key for 127.0.0.1 and returns their
// paths and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certPath, keyPath string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "voxgraph test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	dir := t.TempDir()
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	kb, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certPath, keyPath, pool
}

// TestTLSListener: a caller reaches the gateway over SIP/TLS with the
// certificate from the configuration; the callee is on UDP.
func TestTLSListener(t *testing.T) {
	certPath, keyPath, pool := selfSigned(t)
	ports, _ := NewPorts(netip.MustParseAddr("127.0.0.1"), 45000, 45999)
	dir := t.TempDir()
	rec := filepath.Join(dir, "callee-heard.wav")
	callee := newTestPhone(t, ports, []string{"PCMU"}, phoneSetup{play: toneFile(t, "1000"), record: rec})
	gw := startGateway(t, fmt.Sprintf(`
listen:
  - {transport: udp, addr: "127.0.0.1:0"}
  - {transport: tls, addr: "127.0.0.1:0", cert: '%s', key: '%s'}
media: {address: 127.0.0.1, ports: 44000-44999, rtp_timeout: 3s}
routes:
  - {name: callee, request_uri: '^sip:(\d+)@', forward: 'sip:$1@%s', open: true}
`, certPath, keyPath, callee.Addr()))
	if gw.TLSAddr() == "" {
		t.Fatal("no TLS listener")
	}
	callerRec := filepath.Join(dir, "caller-heard.wav")
	caller, err := NewPhone(PhoneConfig{Ports: ports, Codecs: []string{"PCMU"}, Play: toneFile(t, "440"), Record: callerRec, Loop: true,
		RTPTimeout: 2 * time.Second, Logger: quiet, TLS: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	call, err := caller.Call(ctx, fmt.Sprintf("sip:1000@%s;transport=tls", gw.TLSAddr()))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1200 * time.Millisecond)
	call.Hangup(ctx)
	waitFor(t, "call released", func() bool { return gw.ActiveCalls() == 0 && gw.PortsInUse() == 0 })
	checkHeard(t, rec, 8000, 440)
	checkHeard(t, callerRec, 8000, 1000)

	// A client that does not trust the certificate cannot reach it.
	untrusting, err := NewPhone(PhoneConfig{Ports: ports, Logger: quiet, TLS: &tls.Config{RootCAs: x509.NewCertPool(), MinVersion: tls.VersionTLS12}})
	if err != nil {
		t.Fatal(err)
	}
	defer untrusting.Close()
	if _, err := untrusting.Call(ctx, fmt.Sprintf("sip:1000@%s;transport=tls", gw.TLSAddr())); err == nil {
		t.Fatal("a client that does not trust the certificate connected")
	}
}

// TestWebSocketListener: a caller reaches the gateway with SIP over
// WebSocket (RFC 7118), plain and secure; the callee is on UDP.
func TestWebSocketListener(t *testing.T) {
	certPath, keyPath, pool := selfSigned(t)
	for _, transport := range []string{"ws", "wss"} {
		t.Run(transport, func(t *testing.T) {
			ports, _ := NewPorts(netip.MustParseAddr("127.0.0.1"), 45000, 45999)
			rec := filepath.Join(t.TempDir(), "callee-heard.wav")
			callee := newTestPhone(t, ports, []string{"PCMU"}, phoneSetup{record: rec})
			gw := startGateway(t, fmt.Sprintf(`
listen:
  - {transport: udp, addr: "127.0.0.1:0"}
  - {transport: %s, addr: "127.0.0.1:0", cert: '%s', key: '%s'}
media: {address: 127.0.0.1, ports: 44000-44999, rtp_timeout: 3s}
routes:
  - {name: callee, request_uri: '^sip:(\d+)@', forward: 'sip:$1@%s', open: true}
`, transport, certPath, keyPath, callee.Addr()))
			addr := gw.WSAddr()
			if transport == "wss" {
				addr = gw.WSSAddr()
			}
			if addr == "" {
				t.Fatalf("no %s listener", transport)
			}
			caller, err := NewPhone(PhoneConfig{Ports: ports, Codecs: []string{"PCMU"}, Play: toneFile(t, "440"), Loop: true,
				RTPTimeout: 2 * time.Second, Logger: quiet, TLS: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}})
			if err != nil {
				t.Fatal(err)
			}
			defer caller.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			call, err := caller.Call(ctx, fmt.Sprintf("sip:1000@%s;transport=%s", addr, transport))
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(1200 * time.Millisecond)
			call.Hangup(ctx)
			waitFor(t, "call released", func() bool { return gw.ActiveCalls() == 0 && gw.PortsInUse() == 0 })
			checkHeard(t, rec, 8000, 440)
		})
	}
}

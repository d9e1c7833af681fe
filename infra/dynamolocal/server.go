package dynamolocal

import (
	"fmt"
	"net"
	"net/http"
	"time"
)

// Server is a Handler listening on a loopback TCP address.
type Server struct {
	*Handler

	ln   net.Listener
	srv  *http.Server
	done chan struct{}
}

// Start listens on addr ("127.0.0.1:8000", or "127.0.0.1:0" for any free
// port; an empty host means 127.0.0.1) and serves a fresh, empty DynamoDB.
func Start(addr string) (*Server, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dynamolocal: address %q: %w", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, fmt.Errorf("dynamolocal: %w", err)
	}
	s := &Server{
		Handler: NewHandler(),
		ln:      ln,
		done:    make(chan struct{}),
	}
	s.srv = &http.Server{
		Handler:           s.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// Endpoint returns the server's base URL, e.g. http://127.0.0.1:8000.
func (s *Server) Endpoint() string {
	return "http://" + s.ln.Addr().String()
}

// Addr returns the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server at once, closing every connection. The data is
// lost.
func (s *Server) Close() error {
	err := s.srv.Close()
	<-s.done
	return err
}

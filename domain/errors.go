package domain

import (
	"errors"
	"fmt"
)

// Errors returned by Decide. Callers test them with errors.Is; the api maps
// each to one HTTP status and problem code.
var (
	// ErrInvalid wraps every validation failure of a command's input.
	ErrInvalid = errors.New("invalid")
	// ErrNotFound means the aggregate a command names does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists means a create command names an aggregate that exists.
	ErrAlreadyExists = errors.New("already exists")
	// ErrOutOfStock means no unit of the product is left to reserve.
	ErrOutOfStock = errors.New("out of stock")
	// ErrInvalidTransition means the aggregate's status forbids the command.
	ErrInvalidTransition = errors.New("invalid transition")
)

var errNoReservation = fmt.Errorf("%w: reservation id is required", ErrInvalid)

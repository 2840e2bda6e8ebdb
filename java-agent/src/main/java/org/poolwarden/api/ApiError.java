package org.poolwarden.api;

import java.util.List;
import org.poolwarden.api.AgentApi.FieldError;

/**
 * Every error answer of the HTTP API.
 *
 * @param status  the HTTP status, repeated for clients that only see the body
 * @param error   a stable code: bad_request, unauthorized, not_found, method_not_allowed, payload_too_large,
 *                unprocessable, internal
 * @param field   the request field at fault ("" when it is the request as a whole)
 * @param message one line, starting with the field: {@code cpu.weight: must be from 1 to 10000, found 0}
 * @param errors  every problem when there are several (policy validation); else the one above
 */
public record ApiError(int status, String error, String field, String message, List<FieldError> errors) {
    public ApiError {
        errors = List.copyOf(errors);
    }

    public static ApiError of(int status, String error, String field, String message) {
        return new ApiError(status, error, field, field.isEmpty() ? message : field + ": " + message,
                List.of(new FieldError(field, message)));
    }

    public static ApiError of(int status, String error, List<FieldError> errors) {
        FieldError first = errors.get(0);
        String more = errors.size() > 1 ? " (and " + (errors.size() - 1) + " more)" : "";
        return new ApiError(status, error, first.field(), first + more, errors);
    }
}

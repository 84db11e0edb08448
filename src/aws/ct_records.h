/*-------------------------------------------------------------------------
 *
 * ct_records.h
 *		Streaming reader of CloudTrail log files: gunzip + Records splitter.
 *
 * Compressed bytes are pushed in as they arrive from the network; complete
 * records come out one at a time as JSON text.  Inflation happens only when
 * the consumer asks for the next record, so memory is bounded by the
 * compressed backlog the caller allows plus the largest single record,
 * whatever the size of the object.
 *
 * Each record is scanned as it is found, in the same pass that finds its
 * end, and the index made is offered to ct_rec_index() (ct_recscan.h) for
 * the consumer; a record that pass cannot take (malformed, or not all
 * there yet) is split by counting brackets, and scanned by the consumer.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/aws/ct_records.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CT_RECORDS_H
#define CT_RECORDS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct CtRecordReader CtRecordReader;

typedef enum CtRecordStatus
{
	CT_REC_RECORD,				/* *rec / *len hold the next record, until
								 * the next call on this reader */
	CT_REC_NEED_INPUT,			/* push more bytes (or mark the end); also
								 * returned when the host asks to stop */
	CT_REC_END,					/* the file ended cleanly */
	CT_REC_ERROR				/* ct_rr_error() says why */
} CtRecordStatus;

/* Largest single record accepted (CloudTrail caps parts at 100 KB each). */
#define CT_MAX_RECORD_BYTES (16 * 1024 * 1024)

/* Which library inflates: the build's choice (ISA-L if it was found), or one. */
typedef enum CtInflater
{
	CT_INFLATE_DEFAULT,
	CT_INFLATE_ZLIB,
	CT_INFLATE_ISAL
} CtInflater;

extern CtRecordReader *ct_rr_create(bool gzipped);
extern CtRecordReader *ct_rr_create_with(bool gzipped, CtInflater how);
extern const char *ct_rr_inflater(CtInflater how);
extern void ct_rr_destroy(CtRecordReader *rr);
extern bool ct_rr_push(CtRecordReader *rr, const char *data, size_t len);
extern void ct_rr_set_eof(CtRecordReader *rr);
extern CtRecordStatus ct_rr_next(CtRecordReader *rr, const char **rec, size_t *len);
extern void ct_rr_set_index(CtRecordReader *rr, bool on);
extern void ct_rr_set_max_size(CtRecordReader *rr, long long max_bytes);
extern const char *ct_rr_error(const CtRecordReader *rr);
extern size_t ct_rr_backlog(const CtRecordReader *rr);
extern long long ct_rr_bytes_in(const CtRecordReader *rr);

#endif							/* CT_RECORDS_H */

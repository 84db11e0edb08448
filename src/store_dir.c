/*-------------------------------------------------------------------------
 *
 * store_dir.c
 *		The directory object store of trail tables: a local copy of a
 *		trail's bucket (say, from aws s3 sync), listed the way S3 lists it.
 *
 * Only files below the table's directory are listed or read: names are
 * checked first (no "..", no ".", nothing absolute), then with symbolic
 * links resolved.  Directories are read with AllocateDir and files opened
 * through fd.c's virtual file descriptors, whatever max_concurrency is.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/store_dir.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "miscadmin.h"
#include "pgstat.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "trail.h"

#define FILE_CHUNK		(256 * 1024)	/* read size */
#define LOCAL_PAGE		1000	/* files a listing page holds, as S3's */

/*
 * Is rel, a path below the table's directory, really below it?  Checked
 * by name first (no "..", no "." segment, nothing absolute: prefix and
 * organization_id are options), then with symbolic links resolved, so a
 * link that leads out is never followed.  false: rel does not exist.  A
 * path outside is an error that names neither it nor where it leads.
 */
static bool
local_inside(CtTrailScan *s, const char *rel)
{
	const char *p = rel;
	char	   *real;
	size_t		rootlen;
	bool		inside;

	for (;;)
	{
		size_t		seg = strcspn(p, "/");

		if (*rel == '/' || (seg == 1 && p[0] == '.') || (seg == 2 && p[0] == '.' && p[1] == '.'))
			goto outside;
		if (p[seg] == '\0')
			break;
		p += seg + 1;
	}
	if (s->local_root == NULL)
	{
		if ((real = realpath(s->opts->directory, NULL)) == NULL)
		{
			if (errno == ENOENT)
				return false;
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not open directory \"%s\": %m", s->opts->directory)));
		}
		s->local_root = MemoryContextStrdup(s->cxt, real);
		free(real);
	}
	if ((real = realpath(psprintf("%s/%s", s->opts->directory, rel), NULL)) == NULL)
	{
		if (errno == ENOENT || errno == ENOTDIR)
			return false;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open \"%s\" in directory \"%s\": %m", rel, s->opts->directory)));
	}
	rootlen = strlen(s->local_root);
	inside = strncmp(real, s->local_root, rootlen) == 0 &&
		(real[rootlen] == '/' || real[rootlen] == '\0' || rootlen == 1);
	free(real);
	if (inside)
		return true;
outside:
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
			 errmsg("path \"%s\" leads outside directory \"%s\"", rel, s->opts->directory),
			 errdetail("Directory tables read only files below their directory; symbolic links that lead elsewhere are not followed.")));
	return false;				/* keep the compiler quiet */
}

static int
cmp_names(const ListCell *a, const ListCell *b)
{
	return strcmp(lfirst(a), lfirst(b));
}

/* Names in a directory, sorted as S3 sorts keys; NIL if it is not there. */
static List *
sorted_names(const char *path)
{
	DIR		   *d;
	struct dirent *de;
	List	   *names = NIL;

	if ((d = AllocateDir(path)) == NULL)
	{
		if (errno == ENOENT)
			return NIL;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open directory \"%s\": %m", path)));
	}
	while ((de = ReadDir(d, path)) != NULL)
		if (de->d_name[0] != '.')
			names = lappend(names, pstrdup(de->d_name));
	FreeDir(d);
	list_sort(names, cmp_names);
	return names;
}

typedef struct Walk
{
	bool		folders_only;	/* discovery: subfolders, not files */
	const char *start_after;
	char	  **keys;
	int			n;
	int			cap;
} Walk;

static void
walk_add(Walk *wk, char *key)
{
	if (wk->n == wk->cap)
	{
		wk->cap = wk->cap ? wk->cap * 2 : 64;
		wk->keys = wk->keys ? repalloc(wk->keys, wk->cap * sizeof(char *)) :
			palloc(wk->cap * sizeof(char *));
	}
	wk->keys[wk->n++] = key;
}

/*
 * List rel the way S3 would list the prefix: everything below it (or its
 * subfolders), sorted, after start_after, at most LOCAL_PAGE files (true
 * when the page is full).  Date folders wholly before start_after are not
 * entered.
 */
static bool
walk_dir(CtTrailScan *s, const char *rel, Walk *wk)
{
	ListCell   *lc;

	if (!local_inside(s, rel))
		return false;
	foreach(lc, sorted_names(psprintf("%s/%s", s->opts->directory, rel)))
	{
		char	   *relname = psprintf("%s%s", rel, (char *) lfirst(lc));
		char	   *full = psprintf("%s/%s", s->opts->directory, relname);
		struct stat stbuf;

		if (lstat(full, &stbuf) != 0)
			continue;
		if (S_ISLNK(stbuf.st_mode) && (!local_inside(s, relname) || stat(full, &stbuf) != 0))
			continue;
		if (S_ISDIR(stbuf.st_mode))
		{
			char	   *sub = psprintf("%s/", relname);

			if (wk->folders_only)
				walk_add(wk, sub);
			/* everything in sub sorts before start_after: skip the folder */
			else if (!wk->start_after || strcmp(psprintf("%s~", sub), wk->start_after) >= 0)
			{
				if (walk_dir(s, sub, wk))
					return true;
			}
		}
		else if (!wk->folders_only && (!wk->start_after || strcmp(relname, wk->start_after) > 0))
		{
			walk_add(wk, relname);
			if (wk->n >= LOCAL_PAGE)
				return true;
		}
	}
	return false;
}

/*
 * One page of a listing of prefix, as S3 would list it: its subfolders
 * (folders) or the files below it, after start_after; in the current
 * memory context.  For cloudtrail_validate() too, with a scan shell that
 * has only cxt and opts.
 */
void
ctfdw_dir_page(CtTrailScan *s, const char *prefix, bool folders, const char *start_after,
			   CtS3ListPage *page)
{
	Walk		wk = {folders, start_after};
	bool		full = walk_dir(s, prefix, &wk);

	memset(page, 0, sizeof(*page));
	page->truncated = full;
	if (wk.folders_only)
	{
		page->prefixes = wk.keys;
		page->nprefixes = wk.n;
	}
	else
	{
		page->objects = palloc(sizeof(CtS3Object) * Max(wk.n, 1));
		for (int i = 0; i < wk.n; i++)
		{
			page->objects[i].key = wk.keys[i];
			page->objects[i].size = -1;
		}
		page->nobjects = wk.n;
	}
}

/* Is rel, a path below the table's directory, there and really below it? */
bool
ctfdw_dir_inside(CtTrailScan *s, const char *rel)
{
	return local_inside(s, rel);
}

/* The next page of a stream, taken at once. */
static void
dir_list(CtTrailScan *s, ListStream *st)
{
	CtS3ListPage page;

	/*
	 * The walk's names and paths are garbage once the page is taken (queued
	 * keys and new streams are copied into the scan's context): keep them in
	 * a context of their own, dropped at the end.
	 */
	MemoryContext walk = AllocSetContextCreate(s->cxt, "cloudtrail_fdw directory listing",
											   ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(walk);

	ctfdw_dir_page(s, ctfdw_list_prefix(st), ctfdw_list_folders(st), st->start_after, &page);
	s->stats.lists++;
	ctfdw_take_page(s, st, &page);
	if (st->lane)
		;						/* a lane goes on with its folders itself */
	else if (page.truncated && !st->done)
		st->start_after = MemoryContextStrdup(s->cxt, page.objects[page.nobjects - 1].key);	/* the next page */
	else
		st->done = true;
	MemoryContextSwitchTo(old);
	MemoryContextDelete(walk);
}

static void
dir_fetch(CtTrailScan *s, ObjState *o)
{
	o->file = PathNameOpenFile(o->log_file, O_RDONLY | PG_BINARY);
	if (o->file < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\": %m", o->log_file)));
}

/* Give the reader the next chunk of the file. */
static void
dir_feed(CtTrailScan *s, ObjState *o)
{
	char	   *buf = palloc(FILE_CHUNK);
	ssize_t		n;

	CHECK_FOR_INTERRUPTS();
	n = FileRead(o->file, buf, FILE_CHUNK, o->received, PG_WAIT_EXTENSION);
	if (n < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read file \"%s\": %m", o->log_file)));
	if (n == 0)
	{
		o->body_done = true;
		ct_rr_set_eof(o->rr);
	}
	else if (!ct_rr_push(o->rr, buf, n))
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	o->received += n;
	pfree(buf);
}

static void
dir_release(ObjState *o)
{
	if (o->file >= 0)
		FileClose(o->file);
	o->file = -1;
}

static char *
dir_name(CtTrailScan *s, const char *key)
{
	return psprintf("%s/%s", s->opts->directory, key);
}

const CtStoreRoutine ctfdw_dir_store = {
	.concurrent = false,
	.list = dir_list,
	.fetch = dir_fetch,
	.feed = dir_feed,
	.release = dir_release,
	.name = dir_name,
};

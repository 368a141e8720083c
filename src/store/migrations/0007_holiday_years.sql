CREATE TABLE "holiday_years" (
	"year" integer PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"periods" jsonb NOT NULL,
	"loaded_by" text NOT NULL,
	"loaded_at" timestamp with time zone NOT NULL,
	CONSTRAINT "holiday_years_year" CHECK ("year" between 2000 and 2099)
);

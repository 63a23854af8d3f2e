CREATE TABLE `batches` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`set_id` text NOT NULL,
	`theme` text NOT NULL,
	`seed` text NOT NULL,
	`directory` text NOT NULL,
	`total_jobs` integer DEFAULT 0 NOT NULL,
	`succeeded_jobs` integer DEFAULT 0 NOT NULL,
	`failed_jobs` integer DEFAULT 0 NOT NULL,
	`cancelled_jobs` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `images` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`job_id` integer,
	`batch_id` integer,
	`path` text NOT NULL,
	`width` integer NOT NULL,
	`height` integer NOT NULL,
	`seed` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`batch_id`) REFERENCES `batches`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `images_batch_idx` ON `images` (`batch_id`,`id`);--> statement-breakpoint
CREATE INDEX `images_job_idx` ON `images` (`job_id`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`status` text DEFAULT 'QUEUED' NOT NULL,
	`priority` integer DEFAULT 0 NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`prompt` text NOT NULL,
	`negative_prompt` text DEFAULT '' NOT NULL,
	`width` integer NOT NULL,
	`height` integer NOT NULL,
	`steps` integer NOT NULL,
	`guidance_scale` real NOT NULL,
	`seed` text NOT NULL,
	`scheduler` text NOT NULL,
	`rng` text NOT NULL,
	`loras` text DEFAULT '[]' NOT NULL,
	`extra_metadata` text,
	`output_name` text,
	`step` integer DEFAULT 0 NOT NULL,
	`total_steps` integer NOT NULL,
	`error` text,
	`error_code` text,
	`image_path` text,
	`batch_id` integer,
	`retry_of_id` integer,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	FOREIGN KEY (`batch_id`) REFERENCES `batches`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `jobs_claim_idx` ON `jobs` (`status`,`priority`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_batch_idx` ON `jobs` (`batch_id`,`id`);
/* SPDX-License-Identifier: MIT */
/*
 * The NULL contract of include/bootseal/ (export.h): every public function
 * taking a pointer is called with NULL for all of them, and must answer as
 * its return type says (-EINVAL, NULL or 0; a void function does nothing)
 * instead of crashing. Generated once from the headers' declarations, then
 * kept as plain C: a new public function gets its line here.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <bootseal/atomicfile.h>
#include <bootseal/authenticode.h>
#include <bootseal/bootc.h>
#include <bootseal/composefs.h>
#include <bootseal/db.h>
#include <bootseal/deploy.h>
#include <bootseal/diff.h>
#include <bootseal/dump.h>
#include <bootseal/efivar.h>
#include <bootseal/epoch.h>
#include <bootseal/erofs.h>
#include <bootseal/error.h>
#include <bootseal/fsverity.h>
#include <bootseal/hex.h>
#include <bootseal/kargs.h>
#include <bootseal/keygen.h>
#include <bootseal/keys.h>
#include <bootseal/mount.h>
#include <bootseal/oci.h>
#include <bootseal/pcr.h>
#include <bootseal/pe.h>
#include <bootseal/progress.h>
#include <bootseal/repo.h>
#include <bootseal/rootfs.h>
#include <bootseal/seal.h>
#include <bootseal/selabel.h>
#include <bootseal/source.h>
#include <bootseal/store.h>
#include <bootseal/tmpdir.h>
#include <bootseal/tree.h>
#include <bootseal/uki.h>
#include <bootseal/workqueue.h>

static void test_atomicfile(void **state)
{
	(void)state;
	assert_int_equal(bs_atomicfile_open(NULL, NULL, (mode_t){0}, NULL), -EINVAL);
	assert_int_equal(bs_atomicfile_commit(NULL, (int){0}, NULL), -EINVAL);
	bs_atomicfile_abort(NULL);
	assert_int_equal(bs_atomicfile_write_all(NULL, NULL, (size_t){0}, (mode_t){0}, (int){0}, NULL), -EINVAL);
}

static void test_authenticode(void **state)
{
	(void)state;
	assert_int_equal(bs_authenticode_digest(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_authenticode_sign_detached(NULL, NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_authenticode_sign(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_authenticode_attach(NULL, NULL, (size_t){0}, NULL), -EINVAL);
	assert_int_equal(bs_authenticode_remove(NULL, NULL), -EINVAL);
	assert_int_equal(bs_authenticode_list(NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_authenticode_verify(NULL, NULL, (size_t){0}, NULL, NULL), -EINVAL);
	assert_int_equal(bs_authenticode_verify_flags(NULL, NULL, (size_t){0}, (unsigned){0}, NULL, NULL), -EINVAL);
	assert_int_equal(bs_authenticode_verify_detached(NULL, NULL, (size_t){0}, NULL, (size_t){0}, (unsigned){0}, NULL), -EINVAL);
	assert_null(bs_key_evp(NULL));
	assert_null(bs_cert_x509(NULL));
}

static void test_bootc(void **state)
{
	(void)state;
	assert_int_equal(bs_bootc_transform(NULL, (unsigned){0}, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_bootc_find_kernel(NULL, NULL, NULL), -EINVAL);
	bs_bootc_kernel_clear(NULL);
	assert_int_equal(bs_bootc_uki_kernel(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_bootc_uki_cmdline(NULL, NULL, NULL, NULL), -EINVAL);
	bs_bootc_uki_kernel_clear(NULL);
}

static void test_composefs(void **state)
{
	(void)state;
	assert_int_equal(bs_composefs_image_digest(NULL, (size_t){0}, NULL), -EINVAL);
	assert_int_equal(bs_composefs_tree_digest(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_composefs_dir_digest(NULL, NULL, (unsigned){0}, NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_composefs_objects(NULL, (size_t){0}, (int){0}, NULL, NULL), -EINVAL);
	bs_composefs_objects_free(NULL);
}

static void test_db(void **state)
{
	(void)state;
	assert_int_equal(bs_db_new(NULL), -EINVAL);
	bs_db_free(NULL);
	assert_int_equal(bs_db_add_file(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_db_cert_count(NULL), 0);
	assert_null(bs_db_certs(NULL));
	assert_int_equal(bs_db_has_hash(NULL, NULL), -EINVAL);
	assert_int_equal(bs_db_hash_count(NULL), 0);
	assert_int_equal(bs_db_check_pe(NULL, NULL, (unsigned){0}, NULL, (size_t){0}, NULL), -EINVAL);
}

static void test_deploy(void **state)
{
	(void)state;
	assert_int_equal(bs_deploy(NULL, NULL, NULL), -EINVAL);
}

static void test_diff(void **state)
{
	(void)state;
	assert_int_equal(bs_diff_trees(NULL, NULL, (bs_diff_fn){0}, NULL, NULL), -EINVAL);
}

static void test_dump(void **state)
{
	(void)state;
	assert_int_equal(bs_dump_parse(NULL, (size_t){0}, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_dump_parse_fd((int){0}, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_dump_write(NULL, NULL), -EINVAL);
	assert_int_equal(bs_dump_write_flags(NULL, NULL, (unsigned){0}), -EINVAL);
	assert_int_equal(bs_dump_list(NULL, NULL), -EINVAL);
}

static void test_efivar(void **state)
{
	(void)state;
	assert_int_equal(bs_efivar_guid_parse(NULL, NULL), -EINVAL);
	bs_efivar_guid_format(NULL, NULL);
	assert_int_equal(bs_efivar_guid_equal(NULL, NULL), -EINVAL);
	assert_int_equal(bs_efivar_guid_random(NULL), -EINVAL);
	assert_int_equal(bs_efivar_time_parse(NULL, NULL), -EINVAL);
	assert_int_equal(bs_efivar_time_from_unix((int64_t){0}, NULL), -EINVAL);
	assert_int_equal(bs_efivar_time_default(NULL, NULL), -EINVAL);
	bs_efivar_time_format(NULL, NULL);
	bs_efivar_buf_release(NULL);
	assert_int_equal(bs_efivar_esl_add_x509(NULL, NULL, NULL, (size_t){0}), -EINVAL);
	assert_int_equal(bs_efivar_esl_add_sha256(NULL, NULL, NULL, (size_t){0}), -EINVAL);
	assert_int_equal(bs_efivar_esl_parse(NULL, (size_t){0}, NULL, NULL, NULL), -EINVAL);
	bs_efivar_esl_free(NULL);
	bs_efivar_esl_entry(NULL, (size_t){0}, NULL, NULL, NULL);
	assert_int_equal(bs_efivar_vendor_for_name(NULL, NULL), -EINVAL);
	assert_int_equal(bs_efivar_signed_content(NULL, NULL), -EINVAL);
	assert_int_equal(bs_efivar_auth_sign(NULL, NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_efivar_auth_parse(NULL, (size_t){0}, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_efivar_auth_verify(NULL, NULL, NULL, (uint32_t){0}, NULL, NULL, NULL), -EINVAL);
}

static void test_epoch(void **state)
{
	(void)state;
	assert_int_equal(bs_source_date_epoch(NULL, NULL), -EINVAL);
}

static void test_erofs(void **state)
{
	(void)state;
	assert_int_equal(bs_erofs_write(NULL, NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_erofs_write_file(NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_erofs_read(NULL, (size_t){0}, NULL, NULL, NULL), -EINVAL);
}

static void test_error(void **state)
{
	(void)state;
	assert_int_equal(bs_error_set(NULL, (int){0}, NULL, NULL), 0);
	bs_error_clear(NULL);
}

static void test_fsverity(void **state)
{
	(void)state;
	assert_int_equal(bs_hash_alg_from_name(NULL, NULL), -EINVAL);
	assert_int_equal(bs_fsverity_params_check(NULL, NULL), 0);
	assert_int_equal(bs_fsverity_new(NULL, NULL), -EINVAL);
	bs_fsverity_free(NULL);
	bs_fsverity_reset(NULL);
	assert_int_equal(bs_fsverity_update(NULL, NULL, (size_t){0}), -EINVAL);
	assert_int_equal(bs_fsverity_final(NULL, NULL), -EINVAL);
	assert_int_equal(bs_fsverity_digest_size(NULL), 0);
	assert_int_equal(bs_fsverity_digest_fd(NULL, (int){0}, NULL), -EINVAL);
	assert_int_equal(bs_fsverity_digest_file(NULL, (int){0}, (uint64_t){0}, NULL), -EINVAL);
	assert_int_equal(bs_fsverity_digest_path(NULL, NULL, NULL, NULL), -EINVAL);
}

static void test_hex(void **state)
{
	(void)state;
	bs_hex_encode(NULL, (size_t){0}, NULL);
	assert_int_equal(bs_hex_decode(NULL, (size_t){0}, NULL, (size_t){0}, NULL), 0);
}

static void test_kargs(void **state)
{
	(void)state;
	assert_int_equal(bs_kargs_next(NULL, NULL, NULL, NULL), 0);
	assert_int_equal(bs_kargs_check_no_composefs(NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_kargs_append(NULL, NULL), -EINVAL);
	assert_int_equal(bs_kargs_read_dir(NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_kargs_read_tree(NULL, NULL, NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_kargs_max_size(NULL), 0);
	assert_int_equal(bs_kargs_check_size(NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_kargs_composefs(NULL, (size_t){0}, NULL, NULL), -EINVAL);
}

static void test_keygen(void **state)
{
	(void)state;
	assert_int_equal(bs_keygen_create(NULL, NULL), -EINVAL);
	assert_int_equal(bs_keygen_is_sbctl(NULL), 0);
	assert_int_equal(bs_keygen_sbctl_auth(NULL, NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_keygen_signing_pair(NULL, NULL, NULL, (unsigned int){0}, NULL), -EINVAL);
	assert_int_equal(bs_keygen_ephemeral(NULL, NULL, NULL), -EINVAL);
	bs_keygen_ephemeral_release(NULL);
}

static void test_keys(void **state)
{
	(void)state;
	assert_int_equal(bs_key_type_from_name(NULL, NULL), -EINVAL);
	assert_int_equal(bs_keys_load_private(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_keys_load_cert(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_keys_private_from_mem(NULL, (size_t){0}, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_keys_cert_from_mem(NULL, (size_t){0}, NULL, NULL, NULL), -EINVAL);
	bs_key_free(NULL);
	bs_cert_free(NULL);
	assert_null(bs_cert_dup(NULL));
	assert_null(bs_cert_der(NULL, NULL));
	assert_null(bs_cert_subject(NULL, NULL, (size_t){0}));
	assert_int_equal(bs_keys_check_match(NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_keys_generate((enum bs_key_type){0}, NULL, NULL), -EINVAL);
	assert_int_equal(bs_keys_self_sign(NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_keys_write_private(NULL, NULL, (int){0}, NULL), -EINVAL);
	assert_int_equal(bs_keys_write_cert_pem(NULL, NULL, (int){0}, NULL), -EINVAL);
	assert_int_equal(bs_keys_write_cert_der(NULL, NULL, (int){0}, NULL), -EINVAL);
}

static void test_mount(void **state)
{
	(void)state;
	assert_int_equal(bs_mount(NULL, NULL), -EINVAL);
}

static void test_oci(void **state)
{
	(void)state;
	assert_int_equal(bs_rootfs_read(NULL, NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_oci_ref_parse(NULL, NULL, NULL), -EINVAL);
	bs_oci_ref_clear(NULL);
	assert_int_equal(bs_oci_image_open(NULL, NULL, NULL), -EINVAL);
	bs_oci_image_free(NULL);
	assert_null(bs_oci_image_manifest(NULL));
	assert_null(bs_oci_image_config(NULL));
	assert_int_equal(bs_oci_image_layer_count(NULL), 0);
	assert_null(bs_oci_image_layer(NULL, (size_t){0}));
	assert_null(bs_oci_image_config_json(NULL, NULL));
	assert_int_equal(bs_oci_image_flatten(NULL, NULL, NULL, NULL), -EINVAL);
	assert_null(bs_oci_image_tree(NULL));
	assert_int_equal(bs_oci_image_file(NULL, NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_oci_image_set_file(NULL, NULL, NULL, (size_t){0}, NULL), -EINVAL);
	assert_int_equal(bs_oci_image_read_files(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_oci_level_check((enum bs_oci_compression){0}, (int){0}, NULL, NULL), 0);
	assert_int_equal(bs_oci_write_image(NULL, NULL, NULL), -EINVAL);
}

static void test_pcr(void **state)
{
	(void)state;
	assert_int_equal(bs_pcr_banks_parse(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_pcr_phases_parse(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_pcr_phases_default(NULL), -EINVAL);
	bs_pcr_phases_done(NULL);
	assert_int_equal(bs_pcr_uki_sections(NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_pcr_predict(NULL, (size_t){0}, (enum bs_pcr_bank){0}, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_pcr_policy_digest((enum bs_pcr_bank){0}, NULL, NULL), -EINVAL);
	assert_int_equal(bs_pcr_sign_json(NULL, (size_t){0}, (unsigned){0}, NULL, (size_t){0}, NULL, NULL), -EINVAL);
	assert_int_equal(bs_pcr_public_pem(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_pcr_check_public(NULL, (size_t){0}, NULL, NULL, NULL), -EINVAL);
}

static void test_pe(void **state)
{
	(void)state;
	assert_int_equal(bs_pe_new(NULL, (size_t){0}, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_pe_load(NULL, NULL, NULL), -EINVAL);
	bs_pe_free(NULL);
	assert_null(bs_pe_find_section(NULL, NULL));
	assert_null(bs_pe_section_data(NULL, NULL, NULL));
	assert_int_equal(bs_pe_sections_end(NULL), 0);
	assert_int_equal(bs_pe_checksum(NULL, (size_t){0}, (size_t){0}), 0);
	bs_pe_update_checksum(NULL);
	assert_int_equal(bs_pe_add_section(NULL, NULL, NULL, (size_t){0}, (uint32_t){0}, (uint32_t){0}, NULL), -EINVAL);
	assert_int_equal(bs_pe_replace_section(NULL, NULL, NULL, (size_t){0}, NULL), -EINVAL);
	assert_int_equal(bs_pe_strip_symbols(NULL, NULL), -EINVAL);
	assert_int_equal(bs_pe_drop_trailing(NULL, NULL), -EINVAL);
	assert_int_equal(bs_pe_resize(NULL, (size_t){0}, NULL), -EINVAL);
	assert_int_equal(bs_pe_set_cert_table(NULL, (uint32_t){0}, (uint32_t){0}, NULL), -EINVAL);
	assert_int_equal(bs_pe_write(NULL, NULL, NULL), -EINVAL);
}

static void test_repo(void **state)
{
	(void)state;
	assert_int_equal(bs_repo_open(NULL, (unsigned){0}, (int){0}, NULL, NULL), -EINVAL);
	assert_int_equal(bs_repo_meta_check(NULL, (size_t){0}, NULL, NULL), -EINVAL);
	bs_repo_free(NULL);
	assert_int_equal(bs_repo_object_begin(NULL, NULL, (size_t){0}, NULL), -EINVAL);
	assert_int_equal(bs_repo_object_write(NULL, NULL, (size_t){0}, NULL), -EINVAL);
	assert_int_equal(bs_repo_object_commit(NULL, NULL), -EINVAL);
	bs_repo_object_abort(NULL);
	assert_int_equal(bs_repo_add_image(NULL, NULL, (size_t){0}, NULL, NULL), -EINVAL);
	assert_int_equal(bs_repo_sync(NULL, NULL), -EINVAL);
	assert_int_equal(bs_repo_open_image(NULL, NULL, (unsigned){0}, NULL, NULL), -EINVAL);
	assert_int_equal(bs_repo_verity_measure((int){0}, NULL, NULL, NULL), -EINVAL);
}

static void test_rootfs(void **state)
{
	(void)state;
	assert_int_equal(bs_rootfs_read_file(NULL, NULL, NULL, NULL, NULL, NULL), -EINVAL);
}

static void test_seal(void **state)
{
	(void)state;
	assert_int_equal(bs_seal(NULL, NULL, NULL), -EINVAL);
	bs_seal_result_clear(NULL);
	assert_int_equal(bs_verify_seal(NULL, NULL, NULL), -EINVAL);
	bs_seal_report_clear(NULL);
}

static void test_selabel(void **state)
{
	(void)state;
	assert_int_equal(bs_selabel_load(NULL, NULL, NULL, NULL, NULL), -EINVAL);
	bs_selabel_free(NULL);
	assert_null(bs_selabel_lookup(NULL, NULL, (size_t){0}, (char){0}));
	assert_null(bs_selabel_failure(NULL));
	assert_null(bs_selabel_alias(NULL, NULL, (size_t){0}));
}

static void test_source(void **state)
{
	(void)state;
	assert_int_equal(bs_source_open(NULL, NULL, NULL, NULL), -EINVAL);
	bs_source_free(NULL);
	assert_null(bs_source_tree(NULL));
	bs_source_boot_files(NULL, NULL, NULL);
	assert_int_equal(bs_source_read_file(NULL, NULL, NULL, NULL, NULL), -EINVAL);
	assert_null(bs_source_oci_image(NULL));
	assert_null(bs_source_dir(NULL));
}

static void test_store(void **state)
{
	(void)state;
	assert_int_equal(bs_store_fill(NULL, NULL, NULL, (size_t){0}, NULL), -EINVAL);
}

static void test_tree(void **state)
{
	(void)state;
	assert_int_equal(bs_tree_new(NULL), -EINVAL);
	bs_tree_free(NULL);
	assert_null(bs_tree_root(NULL));
	assert_int_equal(bs_tree_inode_new(NULL, (uint32_t){0}, NULL, NULL), -EINVAL);
	assert_int_equal(bs_tree_dir_add(NULL, NULL, NULL, (size_t){0}, NULL, NULL), -EINVAL);
	assert_null(bs_tree_dir_lookup(NULL, NULL, (size_t){0}));
	assert_int_equal(bs_tree_dir_count(NULL), 0);
	assert_null(bs_tree_dir_child(NULL, (size_t){0}, NULL, NULL));
	assert_null(bs_tree_inode_stat(NULL));
	assert_int_equal(bs_tree_link_count(NULL), 0);
	assert_int_equal(bs_tree_inode_add_xattr(NULL, NULL, NULL, (size_t){0}, NULL, (size_t){0}, NULL), -EINVAL);
	assert_int_equal(bs_tree_inode_xattr_count(NULL), 0);
	bs_tree_inode_xattr(NULL, (size_t){0}, NULL, NULL, NULL, NULL);
	assert_int_equal(bs_tree_inode_set_content(NULL, NULL, NULL, (size_t){0}, NULL), -EINVAL);
	assert_int_equal(bs_tree_inode_set_digest(NULL, NULL, (size_t){0}), -EINVAL);
	assert_int_equal(bs_tree_inode_set_payload(NULL, NULL, NULL, (size_t){0}, NULL), -EINVAL);
	assert_int_equal(bs_tree_inode_set_external(NULL, NULL, (uint64_t){0}, NULL, (size_t){0}, NULL), -EINVAL);
	assert_null(bs_tree_inode_content(NULL, NULL));
	assert_null(bs_tree_inode_digest(NULL, NULL));
	assert_null(bs_tree_inode_payload(NULL, NULL));
	assert_int_equal(bs_tree_dir_remove(NULL, NULL, (size_t){0}), -EINVAL);
	bs_tree_dir_clear(NULL);
	assert_int_equal(bs_tree_dir_replace(NULL, (size_t){0}, NULL), -EINVAL);
	assert_int_equal(bs_tree_inode_remove_xattr(NULL, NULL), -EINVAL);
	bs_tree_inode_keep_xattrs(NULL, NULL);
	assert_int_equal(bs_tree_inode_clone(NULL, NULL, NULL, NULL), -EINVAL);
	assert_null(bs_tree_lookup_path(NULL, NULL));
	bs_tree_update_link_counts(NULL);
	bs_tree_recompute_primaries(NULL);
	assert_int_equal(bs_tree_dup(NULL, NULL, NULL), -EINVAL);
}

static void test_uki(void **state)
{
	(void)state;
	assert_null(bs_uki_arch_by_efi(NULL));
	assert_null(bs_uki_arch_by_oci(NULL));
	assert_int_equal(bs_uki_kernel_arch(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_uki_section_info(NULL, (size_t){0}, NULL), -EINVAL);
	assert_int_equal(bs_uki_section_name_check(NULL, (size_t){0}), -EINVAL);
	assert_int_equal(bs_uki_build(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(bs_uki_kernel_release(NULL, (size_t){0}, NULL, (size_t){0}), -EINVAL);
	assert_int_equal(bs_uki_arch_find(BS_UKI_ARCH_EFI, NULL, NULL, NULL, NULL), -EINVAL);
}

static void test_workqueue(void **state)
{
	(void)state;
	assert_int_equal(bs_workqueue_run((size_t){0}, (size_t){0}, (bs_work_fn){0}, NULL, NULL), 0);
	assert_int_equal(bs_workqueue_start((size_t){0}, (size_t){0}, (bs_work_fn){0}, NULL, NULL), -EINVAL);
	assert_int_equal(bs_workqueue_wait(NULL, NULL), -EINVAL);
}

UNIT_TESTS(NULL, NULL,
	cmocka_unit_test(test_atomicfile),
	cmocka_unit_test(test_authenticode),
	cmocka_unit_test(test_bootc),
	cmocka_unit_test(test_composefs),
	cmocka_unit_test(test_db),
	cmocka_unit_test(test_deploy),
	cmocka_unit_test(test_diff),
	cmocka_unit_test(test_dump),
	cmocka_unit_test(test_efivar),
	cmocka_unit_test(test_epoch),
	cmocka_unit_test(test_erofs),
	cmocka_unit_test(test_error),
	cmocka_unit_test(test_fsverity),
	cmocka_unit_test(test_hex),
	cmocka_unit_test(test_kargs),
	cmocka_unit_test(test_keygen),
	cmocka_unit_test(test_keys),
	cmocka_unit_test(test_mount),
	cmocka_unit_test(test_oci),
	cmocka_unit_test(test_pcr),
	cmocka_unit_test(test_pe),
	cmocka_unit_test(test_repo),
	cmocka_unit_test(test_rootfs),
	cmocka_unit_test(test_seal),
	cmocka_unit_test(test_selabel),
	cmocka_unit_test(test_source),
	cmocka_unit_test(test_store),
	cmocka_unit_test(test_tree),
	cmocka_unit_test(test_uki),
	cmocka_unit_test(test_workqueue))
